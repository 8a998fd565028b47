"""M3U / M3U8 playlists (extended: #EXTINF carries duration, artist and title)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Iterable

from .models import QueueItem


# `https://…`, `ytsearch:…`, `home:t1`: references, not paths relative to the playlist.
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")


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
    artist, sep, title = name.partition(" - ")
    if not sep:
        artist, title = "", name
    return (seconds if seconds >= 0 else None), (title.strip() or None), (artist.strip() or None)


def parse_m3u(text: str, base: PurePath | None = None) -> list[Entry]:
    """Entries in order; relative paths are taken relative to `base` (the file's folder)."""
    entries: list[Entry] = []
    pending: tuple[float | None, str | None, str | None] = (None, None, None)
    for raw in text.splitlines():
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


def format_m3u(items: Iterable[QueueItem]) -> str:
    lines = ["#EXTM3U"]
    for item in items:
        seconds = -1 if item.duration is None else int(round(item.duration))
        name = f"{item.artist} - {item.title}" if item.artist and item.title else (item.title or "")
        lines.append(f"#EXTINF:{seconds},{name}")
        lines.append(item.ref)
    return "\n".join(lines) + "\n"
