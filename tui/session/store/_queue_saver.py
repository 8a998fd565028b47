"""Saving the queue: coalesced after changes and written off the loop (fsync can take a
while), or right away and blocking when ytplay exits."""

from __future__ import annotations

import asyncio
from typing import Callable

from ._queue_store import QueueStore, Snapshot

SAVE_DELAY = 1.0  # s; a burst of changes becomes one write


class QueueSaver:
    def __init__(self, store: QueueStore, snapshot: Callable[[], Snapshot],
                 report: Callable[[str], None], delay: float = SAVE_DELAY) -> None:
        self.store = store
        self.snapshot = snapshot      # taken on the loop; JSON and the write happen off it
        self.report = report
        self.delay = delay
        self._handle: asyncio.TimerHandle | None = None

    def schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # An edit before the loop runs (the command line's references, queued while
            # the app is built): nothing to coalesce with yet; the exit save writes it.
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = loop.call_later(self.delay, self._write_in_background, loop)

    def _write_in_background(self, loop: asyncio.AbstractEventLoop) -> None:
        self._handle = None
        future = loop.run_in_executor(None, self.store.write, self.snapshot())
        future.add_done_callback(self._written)

    def _written(self, future: "asyncio.Future[None]") -> None:
        if not future.cancelled() and (e := future.exception()) is not None:
            self.report(f"could not save the queue: {e}")

    def now(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        try:
            self.store.write(self.snapshot())
        except OSError as e:
            self.report(f"could not save the queue: {e}")
