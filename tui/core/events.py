"""What travels on the event bus (tui.core.bus) as plain values: what the session and the
playback report, up to the UI and MPRIS. What the player reports is in player_events."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .nowplaying import NowPlaying


class Level(enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class LogEvent:
    """A line for the event log panel and the log file. `text` is already redacted."""

    level: Level
    text: str


@dataclass(frozen=True)
class SessionEvent:
    """One step of keeping a credential alive, for the retry log, the status line and the
    log file. Every field is safe to show: `error` is redacted where it is made."""

    resource: str                 # "stream URL · Low Tide", "access token · demo"
    action: str                   # refreshed, refreshing, retrying, recovered, gave up, failed
    failure: str | None = None    # the failure class, when something failed
    attempt: int | None = None
    attempts: int | None = None
    delay: float | None = None    # seconds until the next attempt
    error: str | None = None

    @property
    def text(self) -> str:
        parts = [f"{self.resource}: {self.action}"]
        if self.failure:
            parts.append(f"({self.failure})")
        if self.attempt is not None and self.attempts is not None:
            parts.append(f"attempt {self.attempt}/{self.attempts}")
        if self.delay is not None:
            parts.append(f"next in {self.delay:.1f} s")
        if self.error:
            parts.append(f"— {self.error}")
        return " ".join(parts)


@dataclass(frozen=True)
class StreamDegraded:
    """Nothing valid is left for the stream `key` (every way to reach it failed)."""

    key: str
    reason: str
    item_fault: bool = False   # the item itself cannot play (not the service, not the network)


@dataclass(frozen=True)
class StreamLive:
    """The stream `key` is live: its HLS playlist has no end (no #EXT-X-ENDLIST), so it has
    no duration to show and nothing to seek in."""

    key: str


@dataclass(frozen=True)
class NowPlayingChanged:
    now: NowPlaying


@dataclass(frozen=True)
class QueueChanged:
    """The queue's items, order, statuses or cursor changed."""


# What travels on the event bus (tui.core.bus), up to the UI and MPRIS.
BusEvent = (NowPlayingChanged | QueueChanged | LogEvent | SessionEvent | StreamDegraded
            | StreamLive)
