"""Named playlists (M3U8 files in the user data dir) and the play history (JSON lines)."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tui.config.atomic import atomic_write
from tui.core.errors import YtplayError
from tui.core.m3u import Entry, format_m3u, parse_m3u
from tui.core.models import QueueItem

from ._read_back import PlayedRecord, set_aside, valid_records

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[\w][\w .-]{0,63}$")
# Bytes no text file holds (tab, line ends and form feed aside). A NUL anywhere, or more
# than 1 % of these in the first 64 KiB, and the file is binary: not a playlist.
_NOT_TEXT = bytes(b for b in range(32) if b not in b"\t\n\r\f") + b"\x7f"
_SAMPLE = 65536
_LONGEST_REF = 65536  # longer lines are junk, not addresses


class PlaylistError(YtplayError):
    pass


def _text(path: Path, data: bytes) -> str:
    """The playlist's text; PlaylistError for a binary file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (some Windows tools)
        return data.decode("utf-16", errors="replace")
    sample = data[:_SAMPLE]
    if b"\0" in data or len(sample.translate(None, _NOT_TEXT)) < len(sample) * 0.99:
        raise PlaylistError(f"{path} is not a playlist: it holds binary data, not lines "
                            "of text")
    # Not UTF-8 (an old Latin-1 .m3u) still reads; the odd characters show as U+FFFD.
    return data.decode("utf-8", errors="replace")


def read_m3u(path: Path) -> list[Entry]:
    """The playlist's entries; PlaylistError when it cannot be read or is not a playlist.
    Entries whose reference has control characters or is absurdly long are left out."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PlaylistError(f"cannot read {path}: {e.strerror}") from None
    entries = parse_m3u(_text(path, data), path.parent)
    good = [e for e in entries if len(e.ref) <= _LONGEST_REF
            and not any(ord(c) < 32 or ord(c) == 127 for c in e.ref)]
    if len(good) < len(entries):
        log.warning("%s: %d entries left out (not references)", path, len(entries) - len(good))
    return good


def write_m3u(path: Path, items: Iterable[QueueItem]) -> None:
    atomic_write(path, format_m3u(items))


def is_playlist_file(ref: str) -> bool:
    return "://" not in ref and ref.lower().endswith((".m3u", ".m3u8")) and Path(ref).expanduser().is_file()


def read_playlist(target: str, playlists: Playlists | None) -> list[QueueItem]:
    """The items of an .m3u/.m3u8 file, or of the saved playlist `target` names."""
    if target.lower().endswith((".m3u", ".m3u8")) or playlists is None:
        entries = read_m3u(Path(target).expanduser())
    else:
        entries = playlists.load(target)
    return [e.item() for e in entries]


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
        """A saved playlist's entries. One that is not a playlist is set aside (it is in
        ytplay's own folder), so the name can be saved again without losing it."""
        path = self.path(name)
        if not path.exists():
            known = ", ".join(self.names()) or "none yet"
            raise PlaylistError(f"no playlist named {name!r} (saved playlists: {known})")
        try:
            return read_m3u(path)
        except PlaylistError as e:
            aside = set_aside(path)
            if aside is None:
                raise
            raise PlaylistError(f"{e}; it was set aside as {aside.name}") from None


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
        """Newest first. Lines that cannot be read (a crash mid-append, a stray byte, a
        wrong type) are passed over; a file that cannot be read at all is no history."""
        try:
            lines = self.path.read_bytes().split(b"\n")[-max(limit, self.keep) - 1:]
        except FileNotFoundError:
            return []
        except OSError as e:
            log.warning("the history %s cannot be read: %s", self.path, e.strerror)
            return []
        parsed: list[Any] = []
        for line in reversed(lines):
            try:
                parsed.append(json.loads(line))
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                continue
        records, _ = valid_records(PlayedRecord, parsed)
        return [Played(r.ref, r.title, r.artist, r.duration, r.at)
                for _, r in records[:limit]]
