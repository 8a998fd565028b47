"""The queue on disk, so a plain `ytplay` comes back to it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.config.atomic import atomic_write
from tui.core.models import ItemStatus, QueueItem
from tui.core.queue import Queue

from .persisted import QueueRecord, partly_unreadable, read_json, unreadable, valid_records, why

VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    rows: list[tuple[str, str | None, str | None, float | None, float, bool, str | None,
                     str | None]]
    current: int | None
    position: float


def _cursor(raw: dict[str, Any]) -> tuple[int | None, float]:
    """The current index and the position in it. By hand, not by schema: a wrong one costs
    only the place in the queue, never the file."""
    current, position = raw.get("current"), raw.get("position")
    if type(current) is not int:
        current = None
    if type(position) not in (int, float) or not math.isfinite(position) or position < 0:
        position = 0.0
    return current, float(position)


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
        if current not in kept:  # the current item itself was left out: no place to resume
            return Queue(items), 0.0
        return Queue(items, kept.index(current)), position

    @staticmethod
    def snapshot(queue: Queue, position: float | None) -> Snapshot:
        """The queue's saved fields as plain tuples: a few ms for 10,000 items, so it can be
        taken on the UI loop, while turning it into JSON and writing happen elsewhere."""
        # What played is kept (✓ after a restart); what plays now counts as played.
        played = (ItemStatus.READY, ItemStatus.PLAYING)
        rows = [(i.ref, i.title, i.artist, i.duration, i.resume_at, i.status in played,
                 i.album, i.cover) for i in queue]
        return Snapshot(rows, queue.current_index, position or 0.0)

    def write(self, snap: Snapshot) -> None:
        doc = {
            "version": VERSION,
            "current": snap.current,
            "position": snap.position,
            "items": [{"ref": r, "title": t, "artist": a, "duration": d, "resume_at": p,
                       "played": done, **({"album": al} if al else {}),
                       **({"cover": c} if c else {})}
                      for r, t, a, d, p, done, al, c in snap.rows],
        }
        atomic_write(self.path, json.dumps(doc, indent=1))

    def save(self, queue: Queue, position: float | None) -> None:
        self.write(self.snapshot(queue, position))
