"""The queue on disk, so a plain `ytplay` comes back to it."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from tui.config.atomic import atomic_write
from tui.core.models import QueueItem
from tui.core.queue import Queue

log = logging.getLogger(__name__)
VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    rows: list[tuple[str, str | None, str | None, float | None, float]]
    current: int | None
    position: float


class QueueStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> tuple[Queue, float]:
        """The saved queue and the position in its current item; empty when none is saved.
        A file that cannot be read is set aside (never overwritten) and reported."""
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            items = [QueueItem(ref=str(e["ref"]), title=e.get("title"), artist=e.get("artist"),
                               duration=e.get("duration"), resume_at=float(e.get("resume_at", 0)))
                     for e in raw["items"]]
            return Queue(items, raw.get("current")), float(raw.get("position") or 0.0)
        except FileNotFoundError:
            return Queue(), 0.0
        except (ValueError, KeyError, TypeError) as e:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            self.path.rename(aside)
            log.warning("the saved queue could not be read (%s); it was kept as %s", e, aside)
            return Queue(), 0.0

    @staticmethod
    def snapshot(queue: Queue, position: float | None) -> Snapshot:
        """The queue's saved fields as plain tuples: a few ms for 10,000 items, so it can be
        taken on the UI loop, while turning it into JSON and writing happen elsewhere."""
        rows = [(i.ref, i.title, i.artist, i.duration, i.resume_at) for i in queue]
        return Snapshot(rows, queue.current_index, position or 0.0)

    def write(self, snap: Snapshot) -> None:
        doc = {
            "version": VERSION,
            "current": snap.current,
            "position": snap.position,
            "items": [{"ref": r, "title": t, "artist": a, "duration": d, "resume_at": p}
                      for r, t, a, d, p in snap.rows],
        }
        atomic_write(self.path, json.dumps(doc, indent=1))

    def save(self, queue: Queue, position: float | None) -> None:
        self.write(self.snapshot(queue, position))
