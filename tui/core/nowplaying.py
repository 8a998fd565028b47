"""What the Now Playing panel shows, as one immutable snapshot."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PlayState(enum.Enum):
    IDLE = "idle"
    RESOLVING = "resolving"
    LOADING = "loading"
    PLAYING = "playing"
    PAUSED = "paused"


@dataclass(frozen=True)
class NowPlaying:
    state: PlayState = PlayState.IDLE
    index: int | None = None
    title: str | None = None
    artist: str | None = None
    position: float | None = None
    duration: float | None = None
    volume: float = 100.0
    status: str = ""               # a line about recovery, fallback or failure
