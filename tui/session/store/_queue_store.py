"""The queue on disk, so a plain `ytplay` comes back to it: its items in the order played,
the current one and the place in it, and how it is arranged — the order from before a
shuffle (`original`, the items' indexes; absent when not shuffled) and the repeat mode."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.config.atomic import atomic_write
from tui.core.models import ItemStatus, QueueItem
from tui.core.queue import Queue, Repeat

from ._read_back import QueueRecord, partly_unreadable, read_json, unreadable, valid_records, why

log = logging.getLogger(__name__)
# Still 1 with `original` and `repeat`: a file without them loads as unshuffled, repeat off,
# and an older ytplay ignores them.
VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    rows: list[tuple[str, str | None, str | None, float | None, float, bool, str | None,
                     str | None]]
    current: int | None
    position: float
    original: list[int] | None
    repeat: str


def _cursor(raw: dict[str, Any]) -> tuple[int | None, float]:
    """The current index and the position in it. By hand, not by schema: a wrong one costs
    only the place in the queue, never the file."""
    current, position = raw.get("current"), raw.get("position")
    if type(current) is not int:
        current = None
    if type(position) not in (int, float) or not math.isfinite(position) or position < 0:
        position = 0.0
    return current, float(position)


def _repeat(raw: dict[str, Any]) -> Repeat:
    """By hand as well: a mode not known costs only the repeat."""
    modes = {mode.value: mode for mode in Repeat}
    value = raw.get("repeat")
    return modes[value] if type(value) is str and value in modes else Repeat.OFF


def _original(raw: dict[str, Any], kept: list[int]) -> list[int] | None:
    """The order from before a shuffle as indexes of the items kept (those left out drop
    out of it too); None when not shuffled. ValueError when it names what is no item."""
    original, total = raw.get("original"), len(raw["items"])
    if original is None:
        return None
    if not isinstance(original, list) \
            or not all(type(i) is int and 0 <= i < total for i in original):
        raise ValueError("not a list of the items' indexes")
    where = {at: n for n, at in enumerate(kept)}
    return [where[i] for i in original if i in where]


def _indexes(queue: Queue) -> list[int] | None:
    """The order from before the shuffle as the items' indexes, as it is saved."""
    unshuffled = queue.unshuffled
    if unshuffled is None:
        return None
    where = {id(item): i for i, item in enumerate(queue)}
    return [where[id(item)] for item in unshuffled]


class QueueStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []  # what the last load skipped or set aside, for the UI

    def load(self) -> tuple[Queue, float]:
        """The saved queue and the position in its current item; empty when none is saved.
        Items that cannot be read are left out; a file that cannot be read at all is set
        aside (never overwritten). Either way a line goes to `notices`."""
        self.notices = []
        try:
            raw = read_json(self.path)
        except FileNotFoundError:
            return Queue(), 0.0
        except (OSError, ValueError) as e:
            self.notices.append(unreadable(self.path, "the saved queue", why(e)))
            return Queue(), 0.0
        if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
            self.notices.append(unreadable(self.path, "the saved queue", "not a queue file"))
            return Queue(), 0.0
        records, skipped = valid_records(QueueRecord, raw["items"])
        if skipped:
            self.notices.append(partly_unreadable(self.path, "the saved queue", skipped,
                                                  len(raw["items"])))
        current, position = _cursor(raw)
        kept = [i for i, _ in records]
        items = [QueueItem(ref=r.ref, title=r.title, artist=r.artist, duration=r.duration,
                           resume_at=r.resume_at, album=r.album, cover=r.cover,
                           status=ItemStatus.READY if r.played else ItemStatus.QUEUED)
                 for _, r in records]
        # The current item itself left out: no place to resume.
        resume = kept.index(current) if current in kept else None
        queue = self._arranged(raw, kept, items, resume)
        return queue, position if resume is not None else 0.0

    def _arranged(self, raw: dict[str, Any], kept: list[int], items: list[QueueItem],
                  current: int | None) -> Queue:
        """The queue as it was arranged. The order from before a shuffle that does not fit
        the items costs only the shuffle: the items stay, in the order they were played."""
        repeat = _repeat(raw)
        try:
            return Queue(items, current, original=_original(raw, kept), repeat=repeat)
        except ValueError as e:
            notice = (f"the saved queue ({self.path}): its order from before the shuffle "
                      f"could not be read ({e}); it stays in the shuffled order")
            log.warning("%s", notice)
            self.notices.append(notice)
            return Queue(items, current, repeat=repeat)

    @staticmethod
    def snapshot(queue: Queue, position: float | None) -> Snapshot:
        """The queue's saved fields as plain tuples: a few ms for 10,000 items, so it can be
        taken on the UI loop, while turning it into JSON and writing happen elsewhere."""
        # What played is kept (✓ after a restart); what plays now counts as played.
        played = (ItemStatus.READY, ItemStatus.PLAYING)
        rows = [(i.ref, i.title, i.artist, i.duration, i.resume_at, i.status in played,
                 i.album, i.cover) for i in queue]
        return Snapshot(rows, queue.current_index, position or 0.0, _indexes(queue),
                        queue.repeat.value)

    def write(self, snap: Snapshot) -> None:
        doc = {
            "version": VERSION,
            "current": snap.current,
            "position": snap.position,
            "repeat": snap.repeat,
            **({} if snap.original is None else {"original": snap.original}),
            "items": [{"ref": r, "title": t, "artist": a, "duration": d, "resume_at": p,
                       "played": done, **({"album": al} if al else {}),
                       **({"cover": c} if c else {})}
                      for r, t, a, d, p, done, al, c in snap.rows],
        }
        atomic_write(self.path, json.dumps(doc, indent=1))

    def save(self, queue: Queue, position: float | None) -> None:
        self.write(self.snapshot(queue, position))
