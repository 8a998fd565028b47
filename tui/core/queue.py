"""The play queue: items in order and which one is current. Pure; no I/O."""

from __future__ import annotations

from typing import Iterable, Iterator

from .models import ItemStatus, QueueItem


class Queue:
    def __init__(self, items: Iterable[QueueItem] = (), current: int | None = None) -> None:
        self._items: list[QueueItem] = list(items)
        self._current: int | None = None
        if current is not None and 0 <= current < len(self._items):
            self._current = current

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[QueueItem]:
        return iter(self._items)

    def __getitem__(self, index: int) -> QueueItem:
        return self._items[index]

    @property
    def items(self) -> list[QueueItem]:
        return list(self._items)

    @property
    def current_index(self) -> int | None:
        return self._current

    @property
    def current(self) -> QueueItem | None:
        return None if self._current is None else self._items[self._current]

    def add(self, refs: Iterable[str]) -> list[int]:
        """Append items for `refs`; returns their indexes."""
        start = len(self._items)
        self._items.extend(QueueItem(ref=r) for r in refs)
        return list(range(start, len(self._items)))

    def jump(self, index: int) -> QueueItem:
        if not 0 <= index < len(self._items):
            raise IndexError(f"no item {index} in a queue of {len(self._items)}")
        self._current = index
        return self._items[index]

    def next_index(self) -> int | None:
        """The item after the current one (the first when none is current), or None at the end."""
        i = 0 if self._current is None else self._current + 1
        return i if i < len(self._items) else None

    def previous_index(self) -> int | None:
        if self._current is None or self._current == 0:
            return None
        return self._current - 1

    def set_status(self, index: int, status: ItemStatus, reason: str | None = None) -> None:
        item = self._items[index]
        item.status = status
        item.reason = reason if status is ItemStatus.FAILED else None
