"""Named playlists (M3U8 files in the user data dir) and the play history (JSON lines)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tui.config.atomic import atomic_write
from tui.core.errors import YtplayError
from tui.core.m3u import Entry, format_m3u, parse_m3u
from tui.core.models import QueueItem

_NAME = re.compile(r"^[\w][\w .-]{0,63}$")


class PlaylistError(YtplayError):
    pass


def read_m3u(path: Path) -> list[Entry]:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError as e:
        raise PlaylistError(f"cannot read {path}: {e.strerror}") from None
    return parse_m3u(text, path.parent)


def write_m3u(path: Path, items: Iterable[QueueItem]) -> None:
    atomic_write(path, format_m3u(items))


def is_playlist_file(ref: str) -> bool:
    return "://" not in ref and ref.lower().endswith((".m3u", ".m3u8")) and Path(ref).expanduser().is_file()


class Playlists:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise PlaylistError(f"{name!r} is not a playlist name: use letters, digits, "
                                "spaces, dots, dashes")
        return self.folder / f"{name}.m3u8"

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.m3u8"))

    def save(self, name: str, items: Iterable[QueueItem]) -> Path:
        path = self.path(name)
        write_m3u(path, items)
        return path

    def load(self, name: str) -> list[Entry]:
        path = self.path(name)
        if not path.exists():
            known = ", ".join(self.names()) or "none yet"
            raise PlaylistError(f"no playlist named {name!r} (saved playlists: {known})")
        return read_m3u(path)


@dataclass(frozen=True)
class Played:
    ref: str
    title: str | None
    artist: str | None
    duration: float | None
    at: float


class History:
    """What was played, newest last on disk; appending never rewrites the file."""

    def __init__(self, path: Path, keep: int = 2000) -> None:
        self.path = path
        self.keep = keep

    def append(self, item: QueueItem) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"ref": item.ref, "title": item.title, "artist": item.artist,
                           "duration": item.duration, "at": time.time()})
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    def recent(self, limit: int = 500) -> list[Played]:
        """Newest first. Lines that cannot be read (a crash mid-append) are passed over."""
        try:
            lines = self.path.read_text("utf-8").splitlines()[-max(limit, self.keep):]
        except FileNotFoundError:
            return []
        out: list[Played] = []
        for line in reversed(lines):
            try:
                d = json.loads(line)
                out.append(Played(str(d["ref"]), d.get("title"), d.get("artist"),
                                  d.get("duration"), float(d["at"])))
            except (ValueError, KeyError, TypeError):
                continue
            if len(out) >= limit:
                break
        return out
