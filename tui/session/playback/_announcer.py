"""What playback tells the rest of ytplay, on the one event bus (docs/ARCHITECTURE.md,
"Playback: one state machine", "Events flow up one way"): Now Playing on every change,
that the queue changed, log lines (redacted), and "recovering …" on the status line while
the session retries for what plays."""

from __future__ import annotations

import dataclasses
import logging

from tui.core.bus import EventBus
from tui.core.events import Level, LogEvent, NowPlayingChanged, QueueChanged, SessionEvent
from tui.core.nowplaying import NowPlaying
from tui.core.queue import Queue
from tui.core.redact import redact

log = logging.getLogger(__name__)


class Announcer:
    def __init__(self, bus: EventBus, queue: Queue, now: NowPlaying) -> None:
        self.bus = bus
        self.queue = queue
        self.now = now                # what Now Playing shows, as last published
        self._recovering = False      # the status line says "recovering"

    def update(self, **changes: object) -> None:
        item = self.queue.current
        changes.setdefault("cached", item.cached if item is not None else 0.0)
        now = dataclasses.replace(self.now, **changes)  # type: ignore[arg-type]
        if now.live and now.duration is not None:
            # What libmpv reports of a live stream is what it fetched so far, growing with
            # every playlist reload: not a length. Said here, so no path shows it.
            now = dataclasses.replace(now, duration=None)
        self.now = now
        self.bus.publish(NowPlayingChanged(self.now))

    def queue_changed(self) -> None:
        self.bus.publish(QueueChanged())

    def log(self, level: Level, text: str) -> None:
        text = redact(text)
        log.log({Level.INFO: logging.INFO, Level.WARNING: logging.WARNING,
                 Level.ERROR: logging.ERROR}[level], "%s", text)
        self.bus.publish(LogEvent(level, text))

    def session_event(self, event: SessionEvent) -> None:
        """The session retries or refreshes something: the status line follows it."""
        if event.action.startswith(("retrying", "refreshing")) and event.failure:
            self._recovering = True
            status = f"recovering {event.resource.split(' · ')[0]}"
            if event.attempt is not None and event.attempts is not None:
                status += f", attempt {event.attempt}/{event.attempts}"
            if event.delay is not None:
                status += f", next in {event.delay:.1f} s"
            self.update(status=status)
        elif self._recovering and event.action.startswith(("refreshed", "recovered")):
            self._recovering = False
            self.update(status="")
