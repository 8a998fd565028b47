from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, strategies as st

from tui.core.models import ItemStatus, QueueItem
from tui.core.queue import UNDO_DEPTH, Queue, Repeat
from tui.core.refs import RefKind, parse_ref
from tui.core.timefmt import clock, countdown


def test_next_and_previous_walk_the_queue() -> None:
    q = Queue()
    q.add(["a", "b", "c"])
    assert q.current is None and q.next_index() == 0
    q.jump(1)
    assert q.current is not None and q.current.ref == "b"
    assert (q.previous_index(), q.next_index()) == (0, 2)
    q.jump(2)
    assert q.next_index() is None
    q.jump(0)
    assert q.previous_index() is None


def test_jump_out_of_range_raises() -> None:
    q = Queue()
    q.add(["a"])
    with pytest.raises(IndexError):
        q.jump(1)


def test_failed_status_keeps_reason_and_others_clear_it() -> None:
    q = Queue()
    q.add(["a"])
    q.set_status(0, ItemStatus.FAILED, "404")
    assert q[0].reason == "404"
    q.set_status(0, ItemStatus.QUEUED)
    assert q[0].reason is None


@given(st.lists(st.text(min_size=1), max_size=20), st.lists(st.integers(0, 30), max_size=20))
def test_current_always_points_at_a_real_item(refs: list[str], jumps: list[int]) -> None:
    q = Queue()
    q.add(refs)
    for j in jumps:
        if j < len(q):
            q.jump(j)
        nxt = q.next_index()
        assert nxt is None or 0 <= nxt < len(q)
        assert q.current_index is None or 0 <= q.current_index < len(q)
    assert [i.ref for i in q] == refs


def test_refs(tmp_path) -> None:
    f = tmp_path / "song.ogg"
    f.write_bytes(b"x")
    assert parse_ref(str(f)).kind is RefKind.FILE
    assert parse_ref(f.name, exists=lambda p: p == f.name).kind is RefKind.FILE
    assert parse_ref(f.name).kind is RefKind.URL  # no way to know it is a file: yt-dlp
    assert parse_ref("https://youtu.be/x").kind is RefKind.URL
    r = parse_ref("home:t1", frozenset({"home"}))
    assert (r.kind, r.service, r.media_id) == (RefKind.SERVICE, "home", "t1")
    assert parse_ref("ytsearch:lofi").kind is RefKind.URL  # not a configured service


@pytest.mark.parametrize("value, text", [(None, "--:--"), (math.nan, "--:--"),
                                          (math.inf, "--:--"), (0, "0:00"), (184.9, "3:04"),
                                          (3725, "1:02:05")])
def test_clock(value: float | None, text: str) -> None:
    assert clock(value) == text


def test_countdown() -> None:
    assert (countdown(None), countdown(-1), countdown(12.7), countdown(245), countdown(599.9),
            countdown(600), countdown(1530.5), countdown(7260)) \
        == ("-", "expired", "12s", "4m05s", "9m59s", "10m", "25m", "2h01m")


# --- undo, shuffle, moves ---------------------------------------------------------------


def refs(q: Queue) -> list[str]:
    return [i.ref for i in q]


def test_each_undo_puts_back_the_removal_before_it_in_its_place() -> None:
    q = Queue()
    q.add(["a", "b", "c", "d"])
    q.remove([1])
    q.remove([1])                                        # c, where b was
    assert refs(q) == ["a", "d"]
    first = q.undo_remove()
    assert first is not None and [i.ref for i in first.items] == ["c"]
    assert refs(q) == ["a", "c", "d"]
    second = q.undo_remove()
    assert second is not None and [i.ref for i in second.items] == ["b"]
    assert refs(q) == ["a", "b", "c", "d"]
    assert q.undo_remove() is None                       # nothing left to undo


def test_undo_reaches_back_undo_depth_removals_and_no_further() -> None:
    q = Queue()
    q.add(str(n) for n in range(UNDO_DEPTH + 1))
    for _ in range(UNDO_DEPTH + 1):
        q.remove([0])
    assert len(q) == 0
    while q.undo_remove() is not None:
        pass
    assert refs(q) == [str(n) for n in range(1, UNDO_DEPTH + 1)]  # the oldest is gone


def test_clearing_is_one_step_that_brings_back_the_current_item_and_whether_it_played() -> None:
    q = Queue()
    q.add(["a", "b", "c"])
    q.jump(1)
    q.remove([0])
    q.clear(playing=True)
    assert len(q) == 0 and q.current is None
    undone = q.undo_remove()
    assert undone is not None and len(undone.items) == 2
    assert undone.current is q.current and q.current is not None and q.current.ref == "b"
    assert undone.playing and refs(q) == ["b", "c"]
    undone = q.undo_remove()
    assert undone is not None and undone.current is None and refs(q) == ["a", "b", "c"]


def test_an_item_that_is_current_again_is_not_made_current_by_an_undo() -> None:
    q = Queue()
    q.add(["a", "b"])
    q.jump(0)
    q.remove([0], playing=True)
    q.jump(0)                                            # b plays meanwhile
    undone = q.undo_remove()
    assert undone is not None and undone.current is None and not undone.playing
    assert q.current is not None and q.current.ref == "b"


def test_remove_and_undo_while_shuffled_keep_the_item_in_its_place_in_both_orders() -> None:
    q = Queue()
    q.add(str(n) for n in range(8))
    q.jump(3)
    q.shuffle(random.Random(7))
    shuffled = refs(q)
    q.remove([2, 5])
    q.remove([0])                                        # the current item
    assert q.undo_remove() is not None and q.undo_remove() is not None
    assert refs(q) == shuffled and q.current is not None and q.current.ref == "3"
    q.unshuffle()
    assert refs(q) == [str(n) for n in range(8)]


def test_removed_while_shuffled_and_undone_after_unshuffling_goes_back_to_its_place() -> None:
    q = Queue()
    q.add(str(n) for n in range(6))
    q.shuffle(random.Random(1))
    q.remove([q.index_of(next(i for i in q if i.ref == "2"))])
    q.unshuffle()
    assert q.undo_remove() is not None
    assert refs(q) == [str(n) for n in range(6)]


def test_play_next_while_shuffled_follows_the_current_item_in_both_orders() -> None:
    q = Queue()
    q.add(str(n) for n in range(6))
    q.jump(2)
    q.shuffle(random.Random(3))
    q.insert_next([QueueItem(ref="x")])
    assert refs(q)[:2] == ["2", "x"]
    q.add(["y"])
    q.unshuffle()
    assert refs(q) == ["0", "1", "2", "x", "3", "4", "5", "y"]


def test_a_playlist_replacing_its_item_while_shuffled_takes_its_place_in_both_orders() -> None:
    q = Queue()
    q.add(["a", "list", "b", "c"])
    q.shuffle(random.Random(5))
    q.replace(q[q.index_of(next(i for i in q if i.ref == "list"))],
              [QueueItem(ref="e1"), QueueItem(ref="e2")])
    q.unshuffle()
    assert refs(q) == ["a", "e1", "e2", "b", "c"]


def test_a_queue_built_with_its_order_from_before_a_shuffle_is_shuffled() -> None:
    items = [QueueItem(ref=r) for r in ("c", "a", "b")]
    q = Queue(items, 0, original=[1, 2, 0], repeat=Repeat.ALL)
    assert q.shuffled and q.repeat is Repeat.ALL and refs(q) == ["c", "a", "b"]
    assert [i.ref for i in q.unshuffled or []] == ["a", "b", "c"]
    q.unshuffle()
    assert refs(q) == ["a", "b", "c"] and q.current is items[0]
    for broken in ([0, 1], [0, 1, 1], [0, 1, 3], [0, 1, 2, 3]):
        with pytest.raises(ValueError):
            Queue(items, original=broken)


@pytest.mark.parametrize("index, target, after", [
    (3, 1, ["a", "d", "b", "c", "e"]),                   # before b, stepping over c
    (1, 3, ["a", "c", "d", "b", "e"]),                   # after d
    (4, 0, ["e", "a", "b", "c", "d"]),
    (2, 9, ["a", "b", "d", "e", "c"]),                   # clamped to the end
    (2, 2, ["a", "b", "c", "d", "e"])])
def test_move_to(index: int, target: int, after: list[str]) -> None:
    q = Queue()
    q.add(["a", "b", "c", "d", "e"])
    moved = q[index].ref
    assert q.move_to(index, target) == after.index(moved)
    assert refs(q) == after
