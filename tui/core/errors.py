"""ytplay's errors. Each says what happened in words a user can act on, without secrets.

    YtplayError
     ├── ResolveError          yt-dlp (or a service) could not turn a reference into a stream
     ├── PlayerUnavailable     libmpv is missing or would not start
     ├── ServiceError          a request failed; carries its Failure, classified as in
     │                         failures.py (transient, auth, expired, deterministic)
     ├── LoginRequired         the refresh token family is gone and no password is at hand
     ├── GaveUp                a transient failure outlasted the attempts or the budget
     └── Offline               not cached, and the network is off (--offline) or down
"""

from __future__ import annotations

from .failures import Failure, FailureClass, classify


class YtplayError(Exception):
    """Base of every error ytplay reports to the user."""


class ResolveError(YtplayError):
    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        """`unreachable`: this machine could not reach the network at all (no name, no
        route, a connect that timed out): the network's fault, not the item's. A refused
        connection is not unreachable: the host answered (tui/core/reach.py)."""
        super().__init__(message)
        self.unreachable = unreachable


class PlayerUnavailable(YtplayError):
    pass


class ServiceError(YtplayError):
    """A request failed; `failure` says how, so `failures.classify` decides what to do."""

    def __init__(self, message: str, failure: Failure, *, retry_after: float | None = None):
        super().__init__(message)
        self.failure = failure
        self.retry_after = retry_after

    @property
    def failure_class(self) -> FailureClass:
        return classify(self.failure)


class LoginRequired(YtplayError):
    """The service no longer accepts our credentials; the user has to log in again."""


class GaveUp(YtplayError):
    """Retries ran out (attempts or the global budget) while the failure was transient."""

    def __init__(self, message: str, failure: Failure | None = None) -> None:
        super().__init__(message)
        self.failure = failure  # the last attempt's, when there was one


class Offline(YtplayError):
    """The item is not in the media cache and the network is off or down: it cannot play
    now, and it is not the item's fault (docs/ARCHITECTURE.md, "Offline")."""

    def __init__(self, message: str, *, lasting: bool = False) -> None:
        """`lasting`: nothing in this run can change it (--offline keeps the network off
        for the whole run), so trying again cannot help; a network found down may be back
        in a moment."""
        super().__init__(message)
        self.lasting = lasting


def told_without(error: BaseException, resource: str) -> str:
    """What `error` says, less the `resource: ` it may begin with (a GaveUp names what gave
    up): a line that names the resource already, a Retry log line or its Session panel row,
    does not name it twice."""
    return str(error).removeprefix(f"{resource}: ")


def unnamed(reason: str, name: str) -> str:
    """`reason` with `name` taken out where it names what failed ("stream URL · Low Tide:
    gave up …" becomes "stream URL: gave up …"), for a line that names `name` already."""
    return reason.replace(f" · {name}: ", ": ", 1)
