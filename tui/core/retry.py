"""The retry policy: exponential backoff with full jitter, Retry-After, and a global budget.

Full jitter (a uniform delay between 0 and the exponential ceiling) spreads clients out
after a shared outage instead of having them retry in lockstep; the budget caps how many
retries all requests together may make, so a dead service cannot cause a retry storm.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .clock import Clock


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 0.5            # s, the first ceiling
    cap: float = 8.0             # s, no ceiling above this
    attempts: int = 4            # tries in all, the first included
    retry_after_cap: float = 60.0

    def ceiling(self, retry: int) -> float:
        """The largest delay before retry number `retry` (1 for the first retry)."""
        return min(self.cap, self.base * 2 ** (retry - 1))

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """How long to wait before retry number `retry`. A server's Retry-After wins when it
        asks for longer than the jittered delay, up to `retry_after_cap`."""
        jittered = rng.uniform(0.0, self.ceiling(retry))
        if retry_after is not None:
            return max(jittered, min(retry_after, self.retry_after_cap))
        return jittered


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date
    (RFC 9110 §10.2.3); None when absent or unreadable. `now` is wall-clock Unix time."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value) if len(value) <= 9 else None  # past 30 years: not a delay
    # Here, not at the top: the email package (8 modules kept for the run) for a date that
    # servers rarely send.
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


@dataclass
class RetryBudget:
    """A token bucket shared by every retry: `capacity` retries at once, refilled at
    `per_second`. A retry that finds the bucket empty is not made."""

    clock: Clock
    capacity: float = 20.0
    per_second: float = 0.5
    _tokens: float = field(init=False)
    _stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = self.capacity
        self._stamp = self.clock.monotonic()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.per_second)
        self._stamp = now

    @property
    def available(self) -> float:
        self._refill()
        return self._tokens

    def try_spend(self) -> bool:
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
