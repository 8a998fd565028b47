"""Property tests of the queue: any sequence of operations keeps every item exactly once,
the current item real, and the order from before a shuffle beside the shuffled one;
shuffle-then-unshuffle restores the order, and undoing every removal restores the queue."""

from __future__ import annotations

import random
from collections import deque

from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tui.core.models import QueueItem
from tui.core.queue import UNDO_DEPTH, Queue


class QueueMachine(RuleBasedStateMachine):
    @initialize(n=st.integers(0, 8))
    def start(self, n: int) -> None:
        self.q = Queue()
        self.expected: list[int] = []       # uids that must be in the queue, as a multiset
        # uids of each removal, the last one last, as far back as undo reaches
        self.removals: deque[list[int]] = deque(maxlen=UNDO_DEPTH)
        self._add(n)

    def _add(self, n: int, nxt: bool = False) -> None:
        items = [QueueItem(ref=f"r{len(self.expected) + i}") for i in range(n)]
        (self.q.insert_next if nxt else self.q.extend)(items)
        self.expected += [it.uid for it in items]

    @rule(n=st.integers(1, 4), nxt=st.booleans())
    def add(self, n: int, nxt: bool) -> None:
        self._add(n, nxt)

    @precondition(lambda self: len(self.q) > 0)
    @rule(data=st.data())
    def jump(self, data: st.DataObject) -> None:
        self.q.jump(data.draw(st.integers(0, len(self.q) - 1)))

    @precondition(lambda self: len(self.q) > 0)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        picks = data.draw(st.lists(st.integers(0, len(self.q) - 1), min_size=1, max_size=3))
        removed = [it.uid for it in self.q.remove(picks)]  # picks are valid: never empty
        self.removals.append(removed)
        for uid in removed:
            self.expected.remove(uid)

    @rule()
    def undo(self) -> None:
        undone = self.q.undo_remove()
        if not self.removals:
            assert undone is None
        else:
            assert undone is not None
            assert [it.uid for it in undone.items] == self.removals.pop()
            self.expected += [it.uid for it in undone.items]

    @rule()
    def clear(self) -> None:
        removed = self.q.clear()
        if removed:  # clearing an empty queue changes nothing, and is nothing to undo
            self.removals.append([it.uid for it in removed])
        self.expected = []

    @precondition(lambda self: len(self.q) > 0)
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.q) - 1))
        item = self.q[i]
        target = self.q.move_to(i, data.draw(st.integers(0, len(self.q) - 1)))
        assert self.q[target] is item

    @precondition(lambda self: len(self.q) > 0)
    @rule(data=st.data())
    def swap(self, data: st.DataObject) -> None:
        i, j = (data.draw(st.integers(0, len(self.q) - 1)) for _ in range(2))
        a, b = self.q[i], self.q[j]
        assert self.q.swap(i, j) == j and self.q[j] is a and self.q[i] is b

    @rule(seed=st.integers())
    def shuffle(self, seed: int) -> None:
        current = self.q.current
        self.q.shuffle(random.Random(seed))
        assert current is None or self.q[0] is current  # the current item keeps playing

    @rule()
    def unshuffle(self) -> None:
        self.q.unshuffle()

    @rule()
    def advance(self) -> None:
        i = self.q.next_index()
        if i is not None:
            self.q.jump(i)

    @rule()
    def cycle_repeat(self) -> None:
        self.q.cycle_repeat()

    @invariant()
    def nothing_lost_or_duplicated(self) -> None:
        uids = [it.uid for it in self.q]
        assert len(uids) == len(set(uids))
        assert sorted(uids) == sorted(self.expected)

    @invariant()
    def the_order_from_before_the_shuffle_holds_the_same_items(self) -> None:
        unshuffled = self.q.unshuffled
        assert self.q.shuffled == (unshuffled is not None)
        if unshuffled is not None:
            assert sorted(it.uid for it in unshuffled) == sorted(it.uid for it in self.q)

    @invariant()
    def cursor_points_at_a_real_item_or_nowhere(self) -> None:
        i = self.q.current_index
        assert i is None or (0 <= i < len(self.q) and self.q[i] is self.q.current)
        for nxt in (self.q.next_index(), self.q.previous_index(), self.q.after_end_index()):
            assert nxt is None or 0 <= nxt < len(self.q)


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


@given(st.integers(0, 30), st.integers(), st.data())
def test_shuffle_then_unshuffle_restores_the_order(n: int, seed: int, data: st.DataObject) -> None:
    q = Queue()
    q.add(f"r{i}" for i in range(n))
    if n:
        q.jump(data.draw(st.integers(0, n - 1)))
    before = q.items
    current = q.current
    q.shuffle(random.Random(seed))
    assert sorted(it.uid for it in q) == sorted(it.uid for it in before)
    q.unshuffle()
    assert [it.uid for it in q] == [it.uid for it in before]
    assert q.current is current


_removal = st.just("clear") | st.lists(st.integers(0, 12), min_size=1, max_size=3)


@given(st.integers(0, 12), st.none() | st.integers(), st.lists(_removal, max_size=8), st.data())
def test_undoing_every_removal_gives_back_the_queue(n: int, seed: int | None,
                                                    removals: list[str | list[int]],
                                                    data: st.DataObject) -> None:
    """Removals and clears, shuffled or not, then as many undos: the same items in the same
    order, the same order from before the shuffle, the same current item."""
    q = Queue()
    q.add(f"r{i}" for i in range(n))
    if n:
        q.jump(data.draw(st.integers(0, n - 1)))
    if seed is not None:
        q.shuffle(random.Random(seed))
    before, unshuffled, current = q.items, q.unshuffled, q.current
    done = 0
    for removal in removals:
        removed = q.clear() if removal == "clear" else q.remove(removal)
        done += bool(removed)  # indexes past the end remove nothing: nothing to undo
    for _ in range(done):
        assert q.undo_remove() is not None
    assert q.undo_remove() is None
    assert [it.uid for it in q] == [it.uid for it in before]
    assert ([it.uid for it in q.unshuffled or []] == [it.uid for it in unshuffled or []]
            and q.shuffled == (seed is not None))
    assert q.current is current


def test_undo_puts_items_back_where_they_were() -> None:
    q = Queue()
    q.add(["a", "b", "c", "d", "e"])
    q.jump(2)
    q.remove([1, 2, 4])
    assert [i.ref for i in q] == ["a", "d"] and q.current is None
    assert q.undo_remove()
    assert [i.ref for i in q] == ["a", "b", "c", "d", "e"] and q.current_index == 2
    assert not q.undo_remove()


def test_repeat_modes() -> None:
    q = Queue()
    q.add(["a", "b"])
    q.jump(1)
    assert q.next_index() is None and q.after_end_index() is None
    q.cycle_repeat()  # one
    assert q.after_end_index() == 1 and q.next_index() is None
    q.cycle_repeat()  # all
    assert q.next_index() == 0 and q.after_end_index() == 0
    q.jump(0)
    assert q.previous_index() == 1


def test_play_next_and_filter() -> None:
    q = Queue()
    q.add(["a", "b", "c"])
    q.jump(0)
    q.insert_next([QueueItem(ref="x", title="Night Bus", artist="Mara")])
    assert [i.ref for i in q] == ["a", "x", "b", "c"]
    assert q.matching("night") == [1] and q.matching("MARA") == [1]
    assert q.matching("") == [0, 1, 2, 3]
