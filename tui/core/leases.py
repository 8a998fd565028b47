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
    attempt: int | None = None     # of the retry under way
    attempts: int | None = None
    next_retry_at: float | None = None  # wall-clock, while retrying

    def state_at(self, now: float) -> LeaseState:
        if self.state is LeaseState.FRESH and self.expires_at is not None and now >= self.expires_at:
            return LeaseState.EXPIRED
        return self.state


@dataclass(frozen=True)
class RefreshRule:
    """When to refresh a lease: `window` before it expires, where the window is the larger
    of `min_window` and `fraction` of the lifetime — but never more than half the lifetime,
    so a credential shorter than the window is still used for a while before it is renewed.
    Up to `jitter` of the window is taken off at random so leases issued together do not
    all refresh in the same instant."""

    min_window: float = 60.0
    fraction: float = 0.2
    jitter: float = 0.1
    # The floor: a lease is never refreshed sooner than this after it was obtained, nor
    # sooner than `gap_fraction` of its lifetime. A lease that arrives already expired (a
    # server clock that differs from ours) is then renewed every few seconds, not in a loop.
    min_gap: float = 5.0
    gap_fraction: float = 0.25
    # A lease that keeps arriving already expired is renewed after min_gap, then twice as
    # long each time, up to this.
    stale_cap: float = 300.0

    def window(self, lifetime: float) -> float:
        return min(max(self.min_window, self.fraction * lifetime), 0.5 * lifetime)

    def gap(self, lifetime: float) -> float:
        return max(self.min_gap, self.gap_fraction * lifetime)

    def stale_gap(self, times: int) -> float:
        """The wait before renewing a lease that arrived already expired `times` times in a
        row (a server clock off ours that could not be read, or a server that hands out
        dead leases): doubling, from the floor up to `stale_cap`."""
        return min(self.stale_cap, self.min_gap * 2 ** max(0, times - 1))

    def refresh_at(self, issued: float, expires: float, u: float) -> float:
        """The monotonic time to refresh a lease issued at `issued` that expires at
        `expires` (both monotonic); `u` is a uniform random number in [0, 1)."""
        lifetime = max(0.0, expires - issued)
        window = self.window(lifetime)
        return max(expires - window - self.jitter * window * u, issued + self.gap(lifetime))
