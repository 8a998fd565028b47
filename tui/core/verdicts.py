"""What the playback machine does when something goes wrong (docs/ARCHITECTURE.md,
"Failure classes"): skip an item only for a failure of the item itself; hold the queue at
its place for anything outside it (a dead service, a stream limit, a login); reload at the
position when a stream the proxy cannot carry dies. Pure decisions, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import GaveUp, LoginRequired, Offline, ResolveError, ServiceError
from .extraction import ExtractionError
from .failures import FailureClass
from .player_events import EndReason
from .redact import redact

EARLY_EOF_MARGIN = 2.0  # s before the known end that an EOF counts as a cut-off stream


class Act(enum.Enum):
    NEXT = "next"          # it played to the end: move on
    SKIP = "skip"          # the item itself cannot play: mark it failed, move on
    PASS = "pass"          # it cannot play now (offline, not cached): say why, move on,
                           # not failed: it plays once the network is back
    HOLD = "hold"          # stop here with the reason; space tries again
    RELOAD = "reload"      # open a fresh URL at the same position
    IGNORE = "ignore"      # ended because ytplay replaced or stopped it


@dataclass(frozen=True)
class Verdict:
    act: Act
    reason: str = ""


def after_open_error(error: Exception) -> Verdict:
    """Opening the current item failed."""
    text = redact(str(error))
    if isinstance(error, Offline):
        return Verdict(Act.PASS, text)
    if isinstance(error, ResolveError) and error.unreachable:
        return Verdict(Act.HOLD, f"could not reach it: {text}")
    if isinstance(error, ExtractionError) and error.transient:  # retried already
        return Verdict(Act.HOLD, f"could not resolve: {text}")
    if isinstance(error, ResolveError):
        return Verdict(Act.SKIP, f"could not resolve: {text}")
    if isinstance(error, ServiceError) and error.failure_class is FailureClass.DETERMINISTIC \
            and error.failure.code != "stream_limit":
        return Verdict(Act.SKIP, text)
    if isinstance(error, (ServiceError, GaveUp, LoginRequired)):
        return Verdict(Act.HOLD, text)
    # A bug or a library surprise: keep the place and say what, rather than skip.
    return Verdict(Act.HOLD, f"unexpected error: {type(error).__name__}: {text}")


def after_end(reason: EndReason, error: str | None, *, position: float,
              duration: float | None, degraded: str | None, proxied: bool,
              reloaded: bool) -> Verdict:
    """The current item's file ended in the player."""
    cut_short = (reason is EndReason.EOF and duration is not None
                 and position < duration - EARLY_EOF_MARGIN)
    if reason is EndReason.EOF and not cut_short:
        return Verdict(Act.NEXT)
    if reason is not EndReason.ERROR and not cut_short:
        return Verdict(Act.IGNORE)
    why = redact(error or "stream ended early")
    if degraded:
        return Verdict(Act.HOLD, degraded)
    if not proxied and not reloaded:
        return Verdict(Act.RELOAD, why)
    return Verdict(Act.SKIP, f"playback failed: {redact(error or 'unknown error')}")
