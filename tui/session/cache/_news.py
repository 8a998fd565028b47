"""What the media cache tells the rest of ytplay — an entry changed, writing stopped —
delivered on the loop whichever thread found it (the writer thread finds most), or at
once where no loop runs (the command line)."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

log = logging.getLogger(__name__)


class MediaNews:
    def __init__(self, notify: Callable[[str], None]) -> None:
        """`notify`: told once, on the loop, when the cache stops being written."""
        self.notify = notify
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop that uses the cache
        self.listeners: list[Callable[[str], None]] = []    # told a ref's state changed

    def changed(self, ref: str) -> None:
        self.call_soon(self._tell, ref)

    def _tell(self, ref: str) -> None:
        for listener in list(self.listeners):
            try:
                listener(ref)
            except Exception:
                log.exception("media cache listener failed")

    def call_soon(self, fn: Callable[[str], None], arg: str) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            fn(arg)  # no loop (the command line): at once
            return
        try:
            loop.call_soon_threadsafe(fn, arg)
        except RuntimeError:
            pass  # the loop is shutting down: nobody to tell
