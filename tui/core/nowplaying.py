"""What the Now Playing panel shows, as one immutable snapshot."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .models import ItemStatus
from .queue import Queue
from .timefmt import clock


class PlayState(enum.Enum):
    """The states of the playback machine (docs/ARCHITECTURE.md, "Playback: one state
    machine")."""

    IDLE = "idle"            # nothing loaded; space plays the current item from its place
    RESOLVING = "resolving"  # the current item's stream is being opened
    LOADING = "loading"      # handed to libmpv, no audio yet
    PLAYING = "playing"
    PAUSED = "paused"
    HOLDING = "holding"      # stopped at a position for a reason; space tries again
    ENDED = "ended"          # the queue ran out

    @property
    def active(self) -> bool:
        """Something is loaded in the player (or on its way there)."""
        return self in (PlayState.LOADING, PlayState.PLAYING, PlayState.PAUSED)


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
    cover: str | None = None       # the item's artwork (QueueItem.cover)
    cached: float = 0.0            # the item's share in the media cache (QueueItem.cached)
    live: bool = False             # a live stream: no end, no duration, nothing to seek in


def resting(queue: Queue, position: float) -> NowPlaying:
    """What a restart shows before anything plays: the item space resumes, and where. That
    item is marked queued: it was not played through, it is where space picks up."""
    item = queue.current
    if item is None:
        return NowPlaying(volume=100.0)
    item.status = ItemStatus.QUEUED
    return NowPlaying(state=PlayState.IDLE, index=queue.current_index, title=item.label,
                      artist=item.artist, position=position or None, duration=item.duration,
                      volume=100.0, cover=item.cover,
                      status=f"stopped — space resumes at {clock(position)}")
