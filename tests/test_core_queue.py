from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from tui.core.models import ItemStatus
from tui.core.queue import Queue
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
    assert (countdown(None), countdown(-1), countdown(12.7), countdown(245), countdown(7260)) \
        == ("-", "expired", "12s", "4m05s", "2h01m")
