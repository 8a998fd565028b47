"""Leases: every credential that expires — access token, refresh token, stream URL,
playback session — with what the session panel shows about it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class LeaseKind(enum.Enum):
    ACCESS_TOKEN = "access token"
    REFRESH_TOKEN = "refresh token"
    STREAM_URL = "stream URL"
    PLAYBACK_SESSION = "playback session"


class LeaseState(enum.Enum):
    FRESH = "fresh"
    REFRESHING = "refreshing"
    RETRYING = "retrying"
    EXPIRED = "expired"
    FAILED = "failed"


@dataclass
class Lease:
    kind: LeaseKind
    owner: str                     # the service or track it belongs to
    expires_at: float | None       # wall-clock Unix seconds; None when it never expires
    state: LeaseState = LeaseState.FRESH
    last_error: str | None = None  # redacted

    def state_at(self, now: float) -> LeaseState:
        if self.state is LeaseState.FRESH and self.expires_at is not None and now >= self.expires_at:
            return LeaseState.EXPIRED
        return self.state
