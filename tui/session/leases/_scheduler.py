"""One timer for every lease: the earliest deadline in a heap arms a single `call_at`, so
the loop sleeps until something is due and never polls."""

from __future__ import annotations

import asyncio
from typing import Callable

from tui.core.schedule import DeadlineHeap


class LeaseScheduler:
    """Deadlines are on the loop's clock (`loop.time()`, monotonic)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._heap: DeadlineHeap[str] = DeadlineHeap()
        self._callbacks: dict[str, Callable[[], None]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None
        self.wakeups = 0  # timer firings, for the benchmark's idle check

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> float:
        return self.loop.time()

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, key: str, deadline: float, callback: Callable[[], None]) -> None:
        self._heap.push(key, deadline)
        self._callbacks[key] = callback
        self._arm()

    def cancel(self, key: str) -> None:
        self._heap.cancel(key)
        self._callbacks.pop(key, None)
        self._arm()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._armed_for = None
        self._heap = DeadlineHeap()
        self._callbacks.clear()

    def _arm(self) -> None:
        deadline = self._heap.next_deadline()
        if deadline == self._armed_for:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed_for = deadline
        if deadline is not None:
            self._timer = self.loop.call_at(deadline, self._fire)

    def _fire(self) -> None:
        self.wakeups += 1
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._armed_for = None
        for key in self._heap.pop_due(self.loop.time()):
            callback = self._callbacks.pop(key, None)
            if callback is not None:
                callback()
        self._arm()
