"""Events the player reports, as plain values.

They are built on libmpv's event thread and handed to the asyncio loop, so they carry
copies of values, never live mpv objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class EndReason(enum.Enum):
    EOF = "eof"        # played to the end
    STOP = "stop"      # replaced or stopped on purpose
    QUIT = "quit"
    ERROR = "error"    # could not be opened or decoding failed
    REDIRECT = "redirect"


@dataclass(frozen=True)
class PlayerEvent:
    """Base: `generation` identifies the load that caused the event."""

    generation: int


@dataclass(frozen=True)
class Started(PlayerEvent):
    pass


@dataclass(frozen=True)
class Progress(PlayerEvent):
    position: float | None
    duration: float | None


@dataclass(frozen=True)
class PauseChanged(PlayerEvent):
    paused: bool


@dataclass(frozen=True)
class Restarted(PlayerEvent):
    """Playback (re)started after a load or a seek: audio is flowing."""


@dataclass(frozen=True)
class Ended(PlayerEvent):
    reason: EndReason
    error: str | None = None


@dataclass(frozen=True)
class AudioFallback(PlayerEvent):
    """No audio device could be opened; libmpv plays to the null output instead."""

    tried: str
