"""tui/core/ranges.py against a plain set of byte offsets, with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.ranges import Ranges, Usage, parse_size, share, to_evict

spans = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 40)).map(
    lambda t: (t[0], t[0] + t[1])), max_size=12)


def _model(items: list[tuple[int, int]]) -> set[int]:
    return {b for s, e in items for b in range(s, e)}


@given(spans)
def test_spans_are_the_union_sorted_disjoint_and_not_touching(items) -> None:
    r = Ranges(items)
    got = r.spans()
    assert _model(got) == _model(items)
    assert r.total == len(_model(items))
    for (s1, e1), (s2, e2) in zip(got, got[1:]):
        assert s1 < e1 < s2 < e2  # a gap of at least one byte between neighbours
    assert all(s < e for s, e in got)


@given(spans, st.integers(0, 260))
def test_run_end_is_where_the_first_gap_begins(items, offset) -> None:
    present = _model(items)
    end = offset
    while end in present:
        end += 1
    assert Ranges(items).run_end(offset) == end


@given(spans, st.integers(0, 260), st.integers(0, 60))
def test_covers_and_missing_agree_with_the_set(items, start, width) -> None:
    r, present = Ranges(items), _model(items)
    end = start + width
    wanted = set(range(start, end))
    assert r.covers(start, end) == wanted.issubset(present)
    gaps = r.missing(start, end)
    assert _model(gaps) == wanted - present
    assert all(s < e for s, e in gaps) and gaps == sorted(gaps)


def test_refuses_spans_that_are_not_spans() -> None:
    with pytest.raises(ValueError):
        Ranges().add(5, 4)
    with pytest.raises(ValueError):
        Ranges().add(-1, 4)


def test_share_of_a_known_length() -> None:
    assert share(Ranges([(0, 25), (50, 75)]), 100) == 0.5
    assert share(Ranges([(0, 25)]), None) == 0.0


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 1000)), max_size=10),
       st.integers(0, 3000), st.sets(st.integers(0, 9)))
def test_eviction_drops_oldest_first_never_what_is_kept(raw, cap, keep_ix) -> None:
    entries = [Usage(f"k{i}", size, used) for i, (used, size) in enumerate(raw)]
    keep = frozenset(f"k{i}" for i in keep_ix)
    gone = to_evict(entries, cap, keep)
    assert not set(gone) & keep
    left = sum(u.size for u in entries if u.key not in gone)
    # Under the cap, or everything that may go is gone ...
    assert left <= cap or all(u.key in gone for u in entries if u.key not in keep)
    # ... and no more than needed: with the last one chosen kept, it would not fit.
    if gone:
        last = next(u for u in entries if u.key == gone[-1])
        assert left + last.size > cap
    by_age = sorted((u for u in entries if u.key not in keep), key=lambda u: (u.last_used, u.key))
    assert gone == [u.key for u in by_age[:len(gone)]]  # a prefix of the oldest


@pytest.mark.parametrize("text,size", [("4GB", 4 << 30), ("512 MiB", 512 << 20), ("1.5G", 3 << 29),
                                       ("100", 100), (2048, 2048), ("10k", 10240)])
def test_parse_size(text, size) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GB", "four", "-1GB", "nanG", "infB", -5])
def test_parse_size_refuses(text) -> None:
    with pytest.raises(ValueError):
        parse_size(text)
