"""Deadlines for many leases in one heap: O(log n) to schedule, reschedule or fire, and the
earliest deadline known at once, so one timer serves them all and nothing polls."""

from __future__ import annotations

import heapq
import itertools
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)


class DeadlineHeap(Generic[K]):
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []
        self._live: dict[K, int] = {}        # key -> sequence number of its live entry
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: K) -> bool:
        return key in self._live

    def push(self, key: K, deadline: float) -> None:
        """Schedule `key` at `deadline`, replacing any earlier schedule for it."""
        seq = next(self._seq)
        self._live[key] = seq
        heapq.heappush(self._heap, (deadline, seq, key))
        # Replaced entries stay in the heap until they surface; compact when they dominate
        # so memory stays proportional to the live leases.
        if len(self._heap) > 2 * len(self._live) + 64:
            self._heap = [e for e in self._heap if self._live.get(e[2]) == e[1]]
            heapq.heapify(self._heap)

    def cancel(self, key: K) -> None:
        self._live.pop(key, None)

    def _drop_stale(self) -> None:
        while self._heap and self._live.get(self._heap[0][2]) != self._heap[0][1]:
            heapq.heappop(self._heap)

    def next_deadline(self) -> float | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[K]:
        """Remove and return every key whose deadline is at or before `now`, earliest first."""
        due: list[K] = []
        while True:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now:
                return due
            _, _, key = heapq.heappop(self._heap)
            del self._live[key]
            due.append(key)
