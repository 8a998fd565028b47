"""The commands the playback machine applies, strictly in order (docs/ARCHITECTURE.md,
"Playback: one state machine"). Keys and MPRIS send the first group; the machine sends
itself the second when work it started finishes, tagged with the ticket of the target it
was started for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .models import StreamInfo


@dataclass(frozen=True)
class PlayIndex:
    index: int
    start: float | None = None     # None: where the item was left (long items), else 0


@dataclass(frozen=True)
class Next:
    pass


@dataclass(frozen=True)
class Previous:
    pass


@dataclass(frozen=True)
class TogglePause:
    pass


@dataclass(frozen=True)
class Stop:
    """Stop, keeping the item and the position: TogglePause resumes there."""


@dataclass(frozen=True)
class Seek:
    delta: float


@dataclass(frozen=True)
class SeekTo:
    position: float


@dataclass(frozen=True)
class Opened:
    """The stream for the target of `ticket` is ready."""

    ticket: int
    key: str
    info: StreamInfo
    url: str
    proxied: bool


@dataclass(frozen=True)
class OpenFailed:
    ticket: int
    error: Exception


@dataclass(frozen=True)
class Reloaded:
    """A fresh URL for a stream the proxy cannot carry, to load at `position`."""

    ticket: int
    url: str
    position: float
    headers: Mapping[str, str] = field(default_factory=dict)


UserCommand = PlayIndex | Next | Previous | TogglePause | Stop | Seek | SeekTo
Command = UserCommand | Opened | OpenFailed | Reloaded
