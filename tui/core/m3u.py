"""M3U / M3U8 playlists (extended: #EXTINF carries duration, artist and title).

The file goes to and comes from other programs, so both directions hold one promise: an
entry is two lines, and no text inside an entry can make a line of its own. Titles and
artists are cleaned (`sanitize.printable`: no control characters, line breaks become
spaces); a reference that cannot be written as one unchanged line is refused (M3UError)."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Iterable

from .errors import YtplayError
from .models import QueueItem
from .sanitize import printable


class M3UError(YtplayError):
    """The queue holds an entry that M3U cannot carry faithfully; nothing was written."""


# `https://…`, `ytsearch:…`, `home:t1`: references, not paths relative to the playlist.
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")
# The line ends of the files M3U readers meet: \n, \r\n and (old Macs) \r. Not
# str.splitlines, which also breaks at VT, FF, FS/GS/RS, NEL, U+2028 and U+2029: any of
# those inside a title would otherwise start a line of its own, and so an entry.
_LINE_END = re.compile(r"\r\n?|\n")
# In a reference: controls (line ends among them), line/paragraph separators and lone
# surrogates (which cannot be encoded at all) cannot be written on one line of UTF-8.
_UNWRITABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})


@dataclass(frozen=True)
class Entry:
    ref: str
    title: str | None = None
    artist: str | None = None
    duration: float | None = None

    def item(self) -> QueueItem:
        return QueueItem(ref=self.ref, title=self.title, artist=self.artist,
                         duration=self.duration)


def _extinf(line: str) -> tuple[float | None, str | None, str | None]:
    head, _, name = line[len("#EXTINF:"):].partition(",")
    try:
        seconds = float(head.split()[0]) if head.split() else -1.0
    except ValueError:
        seconds = -1.0
    artist, sep, title = printable(name).partition(" - ")
    if not sep:
        artist, title = "", printable(name)
    known = math.isfinite(seconds) and seconds >= 0  # "inf", "nan" and -1 mean unknown
    return (seconds if known else None), (title.strip() or None), (artist.strip() or None)


def parse_m3u(text: str, base: PurePath | None = None) -> list[Entry]:
    """Entries in order; relative paths are taken relative to `base` (the file's folder).
    References are kept as written (they are addresses: changing one would point
    elsewhere); whoever shows one cleans it for display."""
    entries: list[Entry] = []
    pending: tuple[float | None, str | None, str | None] = (None, None, None)
    for raw in _LINE_END.split(text):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        if line.upper().startswith("#EXTINF:"):
            pending = _extinf(line)
            continue
        if line.startswith("#"):
            continue
        ref = line
        if base is not None and not _SCHEME.match(ref) and not PurePath(ref).is_absolute():
            ref = str(base / ref)
        duration, title, artist = pending
        entries.append(Entry(ref, title, artist, duration))
        pending = (None, None, None)
    return entries


def ref_problem(ref: str) -> str | None:
    """Why `ref` cannot be an M3U line that reads back as the same reference, or None.

    Refused rather than encoded: M3U has no escape syntax, so any encoding (%0A, a file://
    URI) would be read back, by ytplay and by every other player, as a different reference
    — a changed address, or an extra entry if written raw. Such a reference comes only from
    a hostile or broken source; the user is told which entry it is, and can remove it."""
    if not ref:
        return "it is empty"
    if ref != ref.strip() or ref.startswith("\ufeff"):
        return "it begins or ends with blank space"
    if ref.startswith("#"):
        return "it begins with # (a comment line)"
    if any(unicodedata.category(c) in _UNWRITABLE for c in ref):
        return "it contains a line break or control character"
    return None


def _name(item: QueueItem) -> str:
    title, artist = printable(item.title or "").strip(), printable(item.artist or "").strip()
    return f"{artist} - {title}" if artist and title else title


def _seconds(duration: float | None) -> int:
    known = duration is not None and math.isfinite(duration) and duration >= 0
    return int(round(duration)) if known else -1  # type: ignore[arg-type]


def format_m3u(items: Iterable[QueueItem]) -> str:
    """The playlist text. Raises M3UError, naming the entry, for a reference that cannot
    be written (`ref_problem`): nothing is written rather than something else."""
    lines = ["#EXTM3U"]
    for n, item in enumerate(items, 1):
        problem = ref_problem(item.ref)
        if problem is not None:
            # Only the position: the reference and the title are the hostile text itself,
            # and this message is shown as it is.
            raise M3UError(f"cannot write queue entry {n} to a playlist: its reference "
                           f"{problem}; remove it and save again")
        lines.append(f"#EXTINF:{_seconds(item.duration)},{_name(item)}")
        lines.append(item.ref)
    return "\n".join(lines) + "\n"
