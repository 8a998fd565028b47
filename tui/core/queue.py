"""The play queue: items in order, which one is current, and the operations a person uses
on a music player's queue. Pure; no I/O. The current item is held by identity, so moving,
removing and shuffling never lose it."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from typing import Iterable, Iterator

from .models import ItemStatus, QueueItem


class Repeat(enum.Enum):
    OFF = "off"
    ONE = "one"
    ALL = "all"


@dataclass(frozen=True)
class _Removal:
    """Enough to put removed items back where they were."""

    placed: tuple[tuple[int, QueueItem], ...]
    was_current: QueueItem | None


class Queue:
    def __init__(self, items: Iterable[QueueItem] = (), current: int | None = None) -> None:
        self._items: list[QueueItem] = list(items)
        self._current: QueueItem | None = None
        if current is not None and 0 <= current < len(self._items):
            self._current = self._items[current]
        self._unshuffled: list[QueueItem] | None = None
        self._undo: _Removal | None = None
        self.repeat = Repeat.OFF

    # --- reading --------------------------------------------------------------------------

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
    def current(self) -> QueueItem | None:
        return self._current

    @property
    def current_index(self) -> int | None:
        return None if self._current is None else self.index_of(self._current)

    def index_of(self, item: QueueItem) -> int:
        # Identity, not equality: two entries for the same URL are different items.
        for i, it in enumerate(self._items):
            if it is item:
                return i
        raise ValueError("item not in the queue")

    @property
    def shuffled(self) -> bool:
        return self._unshuffled is not None

    def matching(self, text: str) -> list[int]:
        """Indexes of the items whose title, artist or reference contain `text` (any case)."""
        needle = text.casefold().strip()
        if not needle:
            return list(range(len(self._items)))
        return [i for i, it in enumerate(self._items)
                if needle in f"{it.title or ''}\n{it.artist or ''}\n{it.ref}".casefold()]

    # --- adding -----------------------------------------------------------------------------

    def _insert(self, at: int, items: list[QueueItem]) -> list[int]:
        self._items[at:at] = items
        if self._unshuffled is not None:
            self._unshuffled.extend(items)
        return list(range(at, at + len(items)))

    def add(self, refs: Iterable[str]) -> list[int]:
        """Append items for `refs`; returns their indexes."""
        return self.extend(QueueItem(ref=r) for r in refs)

    def extend(self, items: Iterable[QueueItem]) -> list[int]:
        return self._insert(len(self._items), list(items))

    def insert_next(self, items: Iterable[QueueItem]) -> list[int]:
        """Put `items` right after the current one (first, when none is current)."""
        current = self.current_index
        return self._insert(0 if current is None else current + 1, list(items))

    def replace(self, item: QueueItem, items: Iterable[QueueItem]) -> list[int]:
        """Put `items` where `item` is (a playlist becoming its entries); if `item` was
        current, the first of them is."""
        at = self.index_of(item)
        new = list(items)
        self._items[at:at + 1] = new
        if self._unshuffled is not None:
            self._unshuffled = [n for it in self._unshuffled
                                for n in (new if it is item else [it])]
        if self._current is item:
            self._current = new[0] if new else None
        return list(range(at, at + len(new)))

    # --- moving through it ---------------------------------------------------------------

    def jump(self, index: int) -> QueueItem:
        if not 0 <= index < len(self._items):
            raise IndexError(f"no item {index} in a queue of {len(self._items)}")
        self._current = self._items[index]
        return self._current

    def next_index(self) -> int | None:
        """The item after the current one (the first when none is current); with repeat
        all, the first after the last."""
        if not self._items:
            return None
        current = self.current_index
        i = 0 if current is None else current + 1
        if i < len(self._items):
            return i
        return 0 if self.repeat is Repeat.ALL else None

    def after_end_index(self) -> int | None:
        """What plays when the current item ends by itself: itself again with repeat one."""
        if self.repeat is Repeat.ONE and self._current is not None:
            return self.current_index
        return self.next_index()

    def previous_index(self) -> int | None:
        current = self.current_index
        if current is None or (current == 0 and self.repeat is not Repeat.ALL):
            return None
        return (current - 1) % len(self._items)

    def cycle_repeat(self) -> Repeat:
        order = list(Repeat)
        self.repeat = order[(order.index(self.repeat) + 1) % len(order)]
        return self.repeat

    def set_status(self, index: int, status: ItemStatus, reason: str | None = None) -> None:
        """`reason`: why it failed, or why a queued item cannot play now (offline)."""
        item = self._items[index]
        item.status = status
        item.reason = reason

    # --- editing --------------------------------------------------------------------------

    def remove(self, indexes: Iterable[int]) -> list[QueueItem]:
        """Remove items (undoable: the last removal can be put back)."""
        wanted = sorted(set(i for i in indexes if 0 <= i < len(self._items)))
        if not wanted:
            return []
        placed = tuple((i, self._items[i]) for i in wanted)
        removed = [item for _, item in placed]
        was_current = self._current if any(it is self._current for it in removed) else None
        for i in reversed(wanted):
            del self._items[i]
        if self._unshuffled is not None:
            ids = {id(it) for it in removed}
            self._unshuffled = [it for it in self._unshuffled if id(it) not in ids]
        if was_current is not None:
            self._current = None
        self._undo = _Removal(placed, was_current)
        return removed

    def clear(self) -> list[QueueItem]:
        return self.remove(range(len(self._items)))

    def undo_remove(self) -> bool:
        """Put the last removed items back at their places."""
        undo, self._undo = self._undo, None
        if undo is None:
            return False
        for index, item in undo.placed:  # ascending, so each lands where it was
            self._items.insert(min(index, len(self._items)), item)
            if self._unshuffled is not None:
                self._unshuffled.append(item)
        if undo.was_current is not None and self._current is None:
            self._current = undo.was_current
        return True

    def move(self, index: int, delta: int) -> int:
        """Move an item by `delta` places (clamped); returns where it is now."""
        target = max(0, min(len(self._items) - 1, index + delta))
        if target != index:
            self._items.insert(target, self._items.pop(index))
        return target

    def move_to_top(self, index: int) -> int:
        return self.move(index, -index)

    # --- shuffle --------------------------------------------------------------------------

    def shuffle(self, rng: random.Random | None = None) -> None:
        """Shuffle everything but the current item, which goes first and keeps playing.
        `unshuffle` puts back the order from before."""
        rng = rng or random.Random()
        if self._unshuffled is None:
            self._unshuffled = list(self._items)
        rest = [it for it in self._items if it is not self._current]
        rng.shuffle(rest)
        self._items = ([self._current] if self._current is not None else []) + rest

    def unshuffle(self) -> None:
        if self._unshuffled is not None:
            present = {id(it) for it in self._items}
            self._items = [it for it in self._unshuffled if id(it) in present]
            self._unshuffled = None
