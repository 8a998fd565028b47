"""queue.json keeps how the queue was arranged: the order from before a shuffle beside the
shuffled one, and the repeat mode. Real files; a broken arrangement costs only itself."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from tui.core.models import QueueItem
from tui.core.queue import Queue, Repeat
from tui.session.store import QueueStore


def refs(q: Queue) -> list[str]:
    return [i.ref for i in q]


def shuffled_queue() -> Queue:
    q = Queue([QueueItem(ref=str(n)) for n in range(10)], 4)
    q.shuffle(random.Random(2))
    q.cycle_repeat()
    return q


def test_shuffle_repeat_and_the_order_from_before_come_back_after_a_restart(
        tmp_path: Path) -> None:
    q = shuffled_queue()
    QueueStore(tmp_path / "queue.json").save(q, 61.5)
    store = QueueStore(tmp_path / "queue.json")
    back, position = store.load()
    assert refs(back) == refs(q) and back.current_index == 0 and position == 61.5
    assert back.shuffled and back.repeat is Repeat.ONE and not store.notices
    back.unshuffle()
    assert refs(back) == [str(n) for n in range(10)]
    assert back.current is not None and back.current.ref == "4"


def test_an_unshuffled_queue_saves_no_order_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    QueueStore(path).save(Queue([QueueItem(ref="a")]), None)
    doc = json.loads(path.read_text())
    assert "original" not in doc and doc["repeat"] == "off"
    assert not QueueStore(path).load()[0].shuffled


def test_a_file_from_before_shuffle_was_saved_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    path.write_text(json.dumps({"version": 1, "current": 1, "position": 2.0,
                                "items": [{"ref": "a"}, {"ref": "b"}]}))
    store = QueueStore(path)
    q, position = store.load()
    assert refs(q) == ["a", "b"] and q.current_index == 1 and position == 2.0
    assert not q.shuffled and q.repeat is Repeat.OFF and not store.notices


def test_items_left_out_leave_the_order_from_before_in_step(tmp_path: Path) -> None:
    """The order names items by their place in the file: one that cannot be read drops out
    of both orders."""
    path = tmp_path / "queue.json"
    path.write_text(json.dumps({"current": 0, "position": 0, "original": [2, 1, 0],
                                "items": [{"ref": "c"}, {"ref": ""}, {"ref": "a"}]}))
    q, _ = QueueStore(path).load()
    assert refs(q) == ["c", "a"] and q.shuffled
    q.unshuffle()
    assert refs(q) == ["a", "c"]


@pytest.mark.parametrize("original", [
    [0, 1], [0, 1, 1], [0, 1, 2, 3], [0, 1, -1], [0, 1, "2"], [0, 1, 2.0], {"0": 1}, "012",
    [0, 1, True]])
def test_a_broken_order_from_before_costs_the_shuffle_never_the_queue(
        tmp_path: Path, original: Any) -> None:
    path = tmp_path / "queue.json"
    path.write_text(json.dumps({"current": 2, "position": 5.0, "original": original,
                                "repeat": "all",
                                "items": [{"ref": "c"}, {"ref": "a"}, {"ref": "b"}]}))
    store = QueueStore(path)
    q, position = store.load()
    assert refs(q) == ["c", "a", "b"] and q.current_index == 2 and position == 5.0
    assert not q.shuffled and q.repeat is Repeat.ALL
    [notice] = store.notices
    assert "order from before the shuffle" in notice
    assert not list(tmp_path.glob("queue.json.unreadable-*"))


@pytest.mark.parametrize("repeat", ["sometimes", 1, None, ["one"], {"one": 1}])
def test_a_repeat_mode_that_is_not_one_is_off(tmp_path: Path, repeat: Any) -> None:
    path = tmp_path / "queue.json"
    path.write_text(json.dumps({"repeat": repeat, "items": [{"ref": "a"}]}))
    q, _ = QueueStore(path).load()
    assert refs(q) == ["a"] and q.repeat is Repeat.OFF


_json = st.recursive(st.none() | st.booleans() | st.integers(-2, 6) | st.floats() | st.text(),
                     lambda inner: st.lists(inner, max_size=5)
                     | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(original=_json | st.permutations(range(4)), repeat=_json | st.sampled_from(list(Repeat)),
       current=st.integers(0, 3))
def test_any_arrangement_never_costs_the_items_or_the_place(original: Any, repeat: Any,
                                                            current: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "queue.json"
        path.write_text(json.dumps({
            "current": current, "position": 7.0, "original": original,
            "repeat": repeat.value if isinstance(repeat, Repeat) else repeat,
            "items": [{"ref": r} for r in "wxyz"]}))
        q, position = QueueStore(path).load()
    assert refs(q) == list("wxyz") and q.current_index == current and position == 7.0
    if q.shuffled:
        assert sorted(refs(q)) == sorted(i.ref for i in q.unshuffled or [])
