"""Three-way merge of the config editor's text with the file's (tui/core/merge.py)."""

from __future__ import annotations

from hypothesis import given, strategies as st

from tui.core.merge import MINE_MARK, SPLIT_MARK, THEIRS_MARK, Merged, three_way

lines = st.lists(st.text(alphabet="abcxyz= ", max_size=6).map(lambda s: s + "\n"), max_size=12)


@given(lines, lines)
def test_an_edit_on_one_side_only_is_taken_whole(base: list[str], edited: list[str]) -> None:
    b, e = "".join(base), "".join(edited)
    assert three_way(b, e, b).text == e and three_way(b, e, b).conflicts == 0
    assert three_way(b, b, e).text == e and three_way(b, b, e).conflicts == 0


@given(lines, lines)
def test_the_same_edit_on_both_sides_is_taken_once(base: list[str], edited: list[str]) -> None:
    b, e = "".join(base), "".join(edited)
    assert three_way(b, e, e) == Merged(e, 0)


@given(st.integers(1, 8), st.integers(1, 8), st.data())
def test_edits_of_different_lines_merge_by_themselves(gap: int, size: int, data) -> None:
    """Lines far enough apart (a line both keep between them) take both changes."""
    base = [f"k{i} = {i}\n" for i in range(size + gap + 2)]
    mine, theirs = list(base), list(base)
    i = data.draw(st.integers(0, size - 1))
    j = i + gap + 1
    mine[i] = "mine = 1\n"
    theirs[j] = "theirs = 2\n"
    merged = three_way("".join(base), "".join(mine), "".join(theirs))
    expected = list(base)
    expected[i], expected[j] = mine[i], theirs[j]
    assert merged.conflicts == 0 and merged.text == "".join(expected)


def test_the_same_line_changed_two_ways_is_marked_with_both() -> None:
    merged = three_way("a = 1\nvolume = 100\nb = 2\n", "a = 1\nvolume = 70\nb = 2\n",
                       "a = 1\nvolume = 90\nb = 2\n")
    assert merged.conflicts == 1
    assert merged.text == (f"a = 1\n{MINE_MARK}\nvolume = 70\n{SPLIT_MARK}\nvolume = 90\n"
                           f"{THEIRS_MARK}\nb = 2\n")


def test_a_last_line_without_a_newline_keeps_the_marks_on_lines_of_their_own() -> None:
    merged = three_way("x = 1", "x = 2", "x = 3")
    assert merged.text.splitlines() == [MINE_MARK, "x = 2", SPLIT_MARK, "x = 3", THEIRS_MARK]
