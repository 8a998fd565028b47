"""How far each origin's clock is from ours, learnt from the `Date` of the answers ytplay
gets from it (docs/ARCHITECTURE.md, "Leases and refresh-ahead"). The expiry a signed URL
carries in itself (yt-dlp's `expire=`, an HLS segment's) is on its origin's clock: five
minutes behind, every URL looks expired on arrival; five minutes ahead, one looks good for
minutes after it died. The proxy, the HLS relay and downloads read `Date` once per answer;
the session protocol's own expiries are corrected by its client
(tui/session/services/_protocol_client.py)."""

from __future__ import annotations

import time
from typing import Callable, Mapping, TypeVar

from tui.core.expiry import server_clock_offset
from tui.core.origins import origin

# A reading that differs from the last by less than this is the noise of Date's whole
# seconds and of the network; only a larger one moves expiries already read.
MATERIAL = 5.0  # s
# Origins remembered at most (a CDN hands out many hosts); the oldest goes first.
MAX_ORIGINS = 256

_T = TypeVar("_T")

# Told `(origin, offset)` when an origin's clock is learnt or moves materially.
Learnt = Callable[[str, float], None]


class OriginClocks:
    def __init__(self, learnt: Learnt) -> None:
        self.learnt = learnt
        self._offsets: dict[str, float] = {}
        self._dates: dict[str, str] = {}   # the last `Date` read per origin

    def offset(self, url: str) -> float:
        """How far `url`'s origin's clock is ahead of ours (negative: behind); 0 until its
        answers have said otherwise."""
        return self._offsets.get(origin(url), 0.0)

    def heard(self, url: str, headers: Mapping[str, str]) -> None:
        """An answer came from `url` (the one that answered, after redirects) with these
        headers. Once per answer, on the playing path: a dict look-up, and a date parsed
        only when it is not the one read last from that origin."""
        date = headers.get("Date")
        if not date:
            return
        where = origin(url)
        age = headers.get("Age")
        if age is None and self._dates.get(where) == date:
            return  # the same second again
        offset = server_clock_offset(date, time.time(), age)
        if offset is None:
            return
        _remember(self._dates, where, date)
        if abs(offset - self._offsets.get(where, 0.0)) < MATERIAL:
            return
        _remember(self._offsets, where, offset)
        self.learnt(where, offset)


def _remember(book: dict[str, _T], key: str, value: _T) -> None:
    """`book[key] = value`, kept last in order, the oldest entry dropped past MAX_ORIGINS."""
    book.pop(key, None)
    book[key] = value
    if len(book) > MAX_ORIGINS:
        del book[next(iter(book))]
