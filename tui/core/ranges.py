"""Byte-range bookkeeping for the media cache (docs/ARCHITECTURE.md, "The media cache"):
which bytes of a file are present, where the first gap is, how much is there; and which
entries to evict to get under a size cap. Pure: numbers in, numbers out."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, Sequence


class Ranges:
    """A set of bytes as sorted, disjoint, non-adjacent half-open spans [start, end)."""

    __slots__ = ("_starts", "_ends")

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in spans:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        """Mark [start, end) present, merging with what touches or overlaps it."""
        if start < 0 or end < start:
            raise ValueError(f"not a byte span: [{start}, {end})")
        if start == end:
            return
        # The spans that touch [start, end): those ending at or after `start` and starting
        # at or before `end`.
        lo = bisect.bisect_left(self._ends, start)
        hi = bisect.bisect_right(self._starts, end)
        if lo < hi:
            start = min(start, self._starts[lo])
            end = max(end, self._ends[hi - 1])
        self._starts[lo:hi] = [start]
        self._ends[lo:hi] = [end]

    def run_end(self, offset: int) -> int:
        """One past the last byte of the present run that holds `offset`; `offset` itself
        when that byte is missing (where the first gap from `offset` begins)."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self._ends[i] > offset:
            return self._ends[i]
        return offset

    def covers(self, start: int, end: int) -> bool:
        """Whether every byte of [start, end) is present (an empty span always is)."""
        return end <= start or self.run_end(start) >= end

    def missing(self, start: int, end: int) -> list[tuple[int, int]]:
        """The gaps in [start, end), in order."""
        gaps: list[tuple[int, int]] = []
        at = start
        i = max(0, bisect.bisect_right(self._starts, start) - 1)
        while at < end and i < len(self._starts):
            s, e = self._starts[i], self._ends[i]
            if e <= at:
                i += 1
                continue
            if s > at:
                gaps.append((at, min(s, end)))
            at = max(at, e)
            i += 1
        if at < end:
            gaps.append((at, end))
        return gaps

    @property
    def total(self) -> int:
        """How many bytes are present."""
        return sum(e - s for s, e in zip(self._starts, self._ends))

    def spans(self) -> list[tuple[int, int]]:
        return list(zip(self._starts, self._ends))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ranges) and self.spans() == other.spans()

    def __repr__(self) -> str:
        return f"Ranges({self.spans()!r})"


def share(ranges: Ranges, length: int | None) -> float:
    """The share of a file of `length` bytes that is present, 0..1 (0 when unknown)."""
    if not length:
        return 0.0
    return min(1.0, ranges.total / length)


@dataclass(frozen=True)
class Usage:
    """One cache entry as eviction sees it."""

    key: str
    size: int          # bytes it holds on disk
    last_used: float   # any clock, as long as all entries use the same


def to_evict(entries: Sequence[Usage], cap: int, keep: frozenset[str]) -> list[str]:
    """The least recently used entries to drop, oldest first, until what is left fits in
    `cap` bytes; entries in `keep` (playing, pinned) are never chosen, so the result may
    leave the total above the cap when what is kept is larger than it."""
    total = sum(u.size for u in entries)
    chosen: list[str] = []
    for u in sorted(entries, key=lambda u: (u.last_used, u.key)):
        if total <= cap:
            break
        if u.key in keep:
            continue
        chosen.append(u.key)
        total -= u.size
    return chosen


def parse_size(text: str | int) -> int:
    """A size as the config writes it: a number of bytes, or "4GB", "512 MiB", "1.5G"
    (K, M, G, T as powers of 1024; an optional "B" or "iB"). ValueError otherwise."""
    if isinstance(text, int):
        if text < 0:
            raise ValueError("a size cannot be negative")
        return text
    s = text.strip().upper().replace(" ", "")
    for suffix in ("IB", "B"):
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
            break
    power = {"K": 1, "M": 2, "G": 3, "T": 4}.get(s[-1:], 0)
    number = s[:-1] if power else s
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (write e.g. \"4GB\", \"500MB\" or a number "
                         "of bytes)") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"not a size: {text!r}")
    return int(value * 1024 ** power)
