"""Background tasks of one owner: kept referenced while they run, cancelled together, and
a failure reported instead of lost in the loop's exception handler."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine


class Tasks:
    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._on_error = on_error
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: "asyncio.Task[Any]") -> None:
        self._running.discard(task)
        if not task.cancelled() and (e := task.exception()) is not None:
            self._on_error(e)

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()
