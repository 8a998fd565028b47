"""Plain data the layers pass to each other."""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field
from typing import Mapping

_uids = itertools.count(1)


class ItemStatus(enum.Enum):
    QUEUED = "queued"
    RESOLVING = "resolving"
    READY = "ready"
    PLAYING = "playing"
    FAILED = "failed"


@dataclass(frozen=True)
class StreamInfo:
    """What a resolver found: enough to play the item and to know when that stops working."""

    url: str
    title: str
    artist: str | None = None
    duration: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Wall-clock Unix seconds when the URL stops working, as the server wrote it; None if
    # the URL carries no expiry we can read.
    expires_at: float | None = None
    album: str | None = None
    cover: str | None = None  # where its artwork is (see QueueItem.cover)


@dataclass(frozen=True)
class Tags:
    """What a local file says about itself: its tags and its length."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    duration: float | None = None
    cover: bool = False  # it embeds a picture


@dataclass
class QueueItem:
    """One entry of the queue. `ref` is what the user gave: a URL, a path or `service:id`."""

    ref: str
    title: str | None = None
    artist: str | None = None
    duration: float | None = None
    status: ItemStatus = ItemStatus.QUEUED
    reason: str | None = None
    resume_at: float = 0.0
    album: str | None = None
    # Where its artwork is: an image URL (yt-dlp's thumbnail, a service's image), or the
    # path of a local file that embeds its picture; None when there is none.
    cover: str | None = None
    # Stable identity for the UI and the pre-resolve cache, however the queue is reordered.
    uid: int = field(default_factory=lambda: next(_uids), compare=False)
    # The share of it in the media cache, 0..1 (1: complete, plays from there); kept in
    # step by the session, never saved with the queue.
    cached: float = field(default=0.0, compare=False)

    @property
    def label(self) -> str:
        return self.title or self.ref
