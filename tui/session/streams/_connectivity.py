"""Whether ytplay may reach the network, and whether it can (docs/ARCHITECTURE.md,
"Offline"). `--offline` forbids it: nothing is resolved, no token asked for, no request
made; only what the media cache holds plays. Without it, an open that fails because this
machine could not reach the network (a name that does not resolve, no route, a connect that
timed out: tui/core/reach.py) marks the network down; for `QUIET` seconds after that, items
that are not cached are passed over without trying (each says why), then the next open
tries again, and any request that succeeds marks it up. A refused connection is an answer:
that host is down, not the network, so it fails (and is retried) as its own item only.
Nothing is marked failed for being offline."""

from __future__ import annotations

import time
from typing import Callable

from tui.core.errors import GaveUp, Offline, ResolveError, ServiceError
from tui.core.failures import Network

QUIET = 15.0  # s after the network was found unreachable before it is tried again
# Why an item that is not cached does not play: the network is down (it may be back in a
# moment: space tries again), or ytplay runs --offline (nothing in this run changes that;
# a download asked for now, D, is fetched the next time ytplay runs online).
NOT_CACHED = "not cached — offline"
NOT_CACHED_OFFLINE_RUN = "not cached — cannot play with --offline; D downloads it when online"
OFFLINE_REASONS = frozenset({NOT_CACHED, NOT_CACHED_OFFLINE_RUN})


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the network could not be reached at all: a name that does not
    resolve, no route, a connect that timed out. Not a refusal: that is the host's answer."""
    if isinstance(error, ResolveError):
        return error.unreachable
    failure = error.failure if isinstance(error, (ServiceError, GaveUp)) else None
    return failure is not None and failure.network is Network.UNREACHABLE


class Connectivity:
    def __init__(self, *, forced: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.forced = forced           # --offline: never reach the network
        self._clock = clock
        self._down_since: float | None = None
        self.listeners: list[Callable[[bool], None]] = []   # told `offline` when it flips

    @property
    def offline(self) -> bool:
        return self.forced or self._down_since is not None

    def may_try(self) -> bool:
        """Whether an item that is not cached should be opened from the network now."""
        if self.forced:
            return False
        return self._down_since is None or self._clock() - self._down_since >= QUIET

    @property
    def reason(self) -> str:
        """Why an item that is not cached does not play while offline."""
        return NOT_CACHED_OFFLINE_RUN if self.forced else NOT_CACHED

    def refuse(self) -> Offline:
        return Offline(self.reason, lasting=self.forced)

    def failed(self, error: BaseException) -> bool:
        """An open failed with `error`: True when it was the network (now marked down)."""
        if not unreachable(error):
            return False
        was = self.offline
        self._down_since = self._clock()
        if not was:
            self._tell()
        return True

    def succeeded(self) -> None:
        """A request reached its source: the network is up."""
        if self._down_since is not None:
            self._down_since = None
            if not self.forced:
                self._tell()

    def _tell(self) -> None:
        for listener in list(self.listeners):
            listener(self.offline)
