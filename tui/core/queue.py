"""The play queue: items in order, which one is current, and the operations a person uses
on a music player's queue. Pure; no I/O. The current item is held by identity, so moving,
removing and shuffling never lose it. While shuffled, the order from before is kept beside
the shuffled one, in step with every edit, so `unshuffle` can always put it back; removals
go on a stack, each undone in turn back to its place in both orders."""

from __future__ import annotations

import enum
import random
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from .models import ItemStatus, QueueItem


class Repeat(enum.Enum):
    OFF = "off"
    ONE = "one"
    ALL = "all"


# Removals `undo_remove` reaches back to. Bounded, because each holds its items for as long
# as ytplay runs (a cleared queue of 10,000 holds all of them), and far more than a person
# walks back by hand.
UNDO_DEPTH = 50

Placed = tuple[tuple[int, QueueItem], ...]  # (index, item), ascending


@dataclass(frozen=True)
class _Removal:
    """Enough to put removed items back where they were, in both orders."""

    shown: Placed       # in the order played
    original: Placed    # in the order from before the shuffle (`shown` when not shuffled)
    was_current: QueueItem | None
    playing: bool       # the current item was among them, playing


@dataclass(frozen=True)
class Undone:
    """What an undo put back."""

    items: list[QueueItem]
    current: QueueItem | None   # current again: it was when removed, and none is now
    playing: bool               # `current` was playing when removed: it plays on


def _index(order: list[QueueItem], item: QueueItem) -> int:
    # Identity, not equality: two entries for the same URL are different items.
    for i, it in enumerate(order):
        if it is item:
            return i
    raise ValueError("item not in the queue")


def _place(order: list[QueueItem], at: int, items: list[QueueItem]) -> list[int]:
    order[at:at] = items
    return list(range(at, at + len(items)))


def _put_back(order: list[QueueItem], placed: Placed) -> None:
    for index, item in placed:  # ascending, so each lands where it was
        order.insert(min(index, len(order)), item)


class Queue:
    def __init__(self, items: Iterable[QueueItem] = (), current: int | None = None, *,
                 original: Sequence[int] | None = None, repeat: Repeat = Repeat.OFF) -> None:
        """`original`: the order from before a shuffle, as indexes of `items` (a queue
        saved shuffled); ValueError when it is not an order of them all."""
        self._items: list[QueueItem] = list(items)
        self._current: QueueItem | None = None
        if current is not None and 0 <= current < len(self._items):
            self._current = self._items[current]
        self._unshuffled: list[QueueItem] | None = None
        if original is not None:
            if sorted(original) != list(range(len(self._items))):
                raise ValueError("not an order of the queue's items")
            self._unshuffled = [self._items[i] for i in original]
        self._undo: deque[_Removal] = deque(maxlen=UNDO_DEPTH)
        self.repeat = repeat

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
        return _index(self._items, item)

    @property
    def shuffled(self) -> bool:
        return self._unshuffled is not None

    @property
    def unshuffled(self) -> list[QueueItem] | None:
        """The order from before the shuffle; None when not shuffled."""
        return None if self._unshuffled is None else list(self._unshuffled)

    def matching(self, text: str) -> list[int]:
        """Indexes of the items whose title, artist or reference contain `text` (any case)."""
        needle = text.casefold().strip()
        if not needle:
            return list(range(len(self._items)))
        return [i for i, it in enumerate(self._items)
                if needle in f"{it.title or ''}\n{it.artist or ''}\n{it.ref}".casefold()]

    # --- adding -----------------------------------------------------------------------------

    def add(self, refs: Iterable[str]) -> list[int]:
        """Append items for `refs`; returns their indexes."""
        return self.extend(QueueItem(ref=r) for r in refs)

    def extend(self, items: Iterable[QueueItem]) -> list[int]:
        new = list(items)
        if self._unshuffled is not None:
            self._unshuffled.extend(new)
        return _place(self._items, len(self._items), new)

    def insert_next(self, items: Iterable[QueueItem]) -> list[int]:
        """Put `items` right after the current one (first, when none is current), in the
        order from before a shuffle too: unshuffled, they still follow it."""
        new = list(items)
        if self._unshuffled is not None:
            _place(self._unshuffled, self._after_current(self._unshuffled), new)
        return _place(self._items, self._after_current(self._items), new)

    def _after_current(self, order: list[QueueItem]) -> int:
        return 0 if self._current is None else _index(order, self._current) + 1

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

    def remove(self, indexes: Iterable[int], *, playing: bool = False) -> list[QueueItem]:
        """Remove items, as one step `undo_remove` puts back. `playing`: whether the current
        item plays now; if it is among them, the undo says so."""
        wanted = sorted(set(i for i in indexes if 0 <= i < len(self._items)))
        if not wanted:
            return []
        shown = tuple((i, self._items[i]) for i in wanted)
        gone = {id(item) for _, item in shown}
        original = shown
        if self._unshuffled is not None:
            original = tuple((i, it) for i, it in enumerate(self._unshuffled) if id(it) in gone)
            self._unshuffled = [it for it in self._unshuffled if id(it) not in gone]
        self._items = [it for it in self._items if id(it) not in gone]
        was_current = None
        if self._current is not None and id(self._current) in gone:
            was_current, self._current = self._current, None
        self._undo.append(_Removal(shown, original, was_current,
                                   playing and was_current is not None))
        return [item for _, item in shown]

    def clear(self, *, playing: bool = False) -> list[QueueItem]:
        return self.remove(range(len(self._items)), playing=playing)

    def undo_remove(self) -> Undone | None:
        """Put the items of the last removal not yet undone back at their places; None when
        there is none."""
        if not self._undo:
            return None
        undo = self._undo.pop()
        if self._unshuffled is None:
            # Unshuffled since the removal, if it was shuffled then: the order shown now is
            # the one from before.
            _put_back(self._items, undo.original)
        else:
            _put_back(self._items, undo.shown)
            _put_back(self._unshuffled, undo.original)
        current = None
        if undo.was_current is not None and self._current is None:
            self._current = current = undo.was_current
        return Undone([item for _, item in undo.shown], current,
                      undo.playing and current is not None)

    def move_to(self, index: int, target: int) -> int:
        """Move an item to `target` (clamped), the items between moving up or down one;
        returns where it is now."""
        target = max(0, min(len(self._items) - 1, target))
        if target != index:
            self._items.insert(target, self._items.pop(index))
        return target

    def swap(self, index: int, other: int) -> int:
        """Swap two items; returns where the one at `index` is now (`other`)."""
        self._items[index], self._items[other] = self._items[other], self._items[index]
        return other

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
            self._items, self._unshuffled = self._unshuffled, None
