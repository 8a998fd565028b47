"""Time as a port, so rules that depend on it are tested with a fake clock."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; for deadlines."""

    def time(self) -> float:
        """Wall-clock Unix seconds; only for reading what servers send (`exp`, `expire=`)."""


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()
