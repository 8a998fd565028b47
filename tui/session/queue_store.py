"""The queue on disk, so a plain `ytplay` comes back to it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from tui.config.atomic import atomic_write
from tui.core.models import QueueItem
from tui.core.queue import Queue

log = logging.getLogger(__name__)
VERSION = 1


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

    def dump(self, queue: Queue, position: float | None) -> str:
        """The file's text for this queue; cheap enough for the UI loop, unlike the write."""
        doc = {
            "version": VERSION,
            "current": queue.current_index,
            "position": position or 0.0,
            "items": [{"ref": i.ref, "title": i.title, "artist": i.artist,
                       "duration": i.duration, "resume_at": i.resume_at} for i in queue],
        }
        return json.dumps(doc, indent=1)

    def write(self, text: str) -> None:
        atomic_write(self.path, text)

    def save(self, queue: Queue, position: float | None) -> None:
        self.write(self.dump(queue, position))
