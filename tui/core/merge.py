"""Three-way merge of texts by lines: two people's edits of the same original, put together
where they touch different lines, and marked where they touch the same ones.

Written here rather than taken from a library: the one well-kept Python package for it
(merge3, from Breezy) is GPL, which ytplay's MIT licence cannot take in, and a merge of a
config file needs only difflib's matching blocks and the classic diff3 walk over them."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

MINE_MARK = "<<<<<<< yours"
SPLIT_MARK = "======="
THEIRS_MARK = ">>>>>>> the file's"


@dataclass(frozen=True)
class Merged:
    text: str
    conflicts: int  # places marked between MINE_MARK and THEIRS_MARK, to be settled by hand


# (base start, base end, mine start, mine end, theirs start, theirs end): lines that all
# three texts hold alike.
_Sync = tuple[int, int, int, int, int, int]


def _in_sync(base: list[str], mine: list[str], theirs: list[str]) -> list[_Sync]:
    """The runs of the original that both edits kept, in order, each with where it stands in
    each text, ending with an empty run at the three ends."""
    ours = SequenceMatcher(None, base, mine, autojunk=False).get_matching_blocks()
    others = SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    runs: list[_Sync] = []
    i = j = 0
    while i < len(ours) and j < len(others):
        a_base, a_at, a_len = ours[i]
        b_base, b_at, b_len = others[j]
        start, end = max(a_base, b_base), min(a_base + a_len, b_base + b_len)
        if start < end:
            a, b = a_at + start - a_base, b_at + start - b_base
            runs.append((start, end, a, a + end - start, b, b + end - start))
        if a_base + a_len < b_base + b_len:
            i += 1
        else:
            j += 1
    runs.append((len(base), len(base), len(mine), len(mine), len(theirs), len(theirs)))
    return runs


def three_way(base: str, mine: str, theirs: str) -> Merged:
    """`mine` and `theirs` are both edits of `base`. A stretch one of them changed takes that
    change; one both changed alike, the change; one they changed differently, both versions
    between conflict marks."""
    b, m, t = (s.splitlines(keepends=True) for s in (base, mine, theirs))
    out: list[str] = []
    conflicts = 0
    zb = zm = zt = 0
    for b0, b1, m0, m1, t0, t1 in _in_sync(b, m, t):
        was, ours, others = b[zb:b0], m[zm:m0], t[zt:t0]
        if ours == others or others == was:
            out += ours
        elif ours == was:
            out += others
        else:
            conflicts += 1
            out += [MINE_MARK + "\n", *_ended(ours), SPLIT_MARK + "\n", *_ended(others),
                    THEIRS_MARK + "\n"]
        out += b[b0:b1]
        zb, zm, zt = b1, m1, t1
    return Merged("".join(out), conflicts)


def _ended(lines: list[str]) -> list[str]:
    """A stretch that was the text's last line without a newline, given one, so the mark
    after it starts a line of its own."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines
