"""The failure classes (docs/ARCHITECTURE.md, "Failure classes"), in one table that every
layer uses.

| class         | examples                                              | action                       |
|---------------|-------------------------------------------------------|------------------------------|
| transient     | connect/read errors, timeouts, 408, 429, 5xx,         | backoff, Retry-After, budget |
|               | an answer that is not what the protocol says, or one  |                              |
|               | too large to read                                     |                              |
| auth          | 401                                                   | refresh token once, replay   |
| expired       | 403/410 on a signed URL, premature EOF,               | refresh URL/session once,    |
|               | `unknown_session`, `url_expired`                      | retry at the same position   |
| deterministic | 400, 403 `stream_limit`, 404, `invalid_grant`, 4xx    | never retried                |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FailureClass(enum.Enum):
    TRANSIENT = "transient"
    AUTH = "auth"
    EXPIRED = "expired"
    DETERMINISTIC = "deterministic"

    @property
    def retryable(self) -> bool:
        return self is not FailureClass.DETERMINISTIC


class Network(enum.Enum):
    """Failures below HTTP. Only `UNREACHABLE` says the network is down (tui/core/reach.py);
    a host that refused says only that its service is down."""

    UNREACHABLE = "unreachable"      # no name, no route, no answer to the connect
    CONNECT = "connect"              # refused or reset by the host, or a TLS failure
    TIMEOUT = "timeout"              # connected (or waiting for a pooled connection), no answer
    READ = "read"
    PREMATURE_EOF = "premature EOF"


@dataclass(frozen=True)
class Failure:
    """What went wrong with one request, as plain values."""

    status: int | None = None
    code: str | None = None          # the error body's `error` (docs/PROTOCOL.md)
    network: Network | None = None
    signed_url: bool = False         # the request was for a signed stream URL


_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# An answer that is not what the protocol says (HTML from a captive portal or a proxy in
# between, a truncated body): most often passing, so retried within the budget. So is one
# too large to read (`too_large`, tui/session/services/_capped_body.py), for the same reason and
# because a deterministic failure of a refresh would throw the refresh token away.
_TRANSIENT_CODES = frozenset({"bad_answer", "too_large"})
_EXPIRED_CODES = frozenset({"unknown_session", "url_expired"})
_DETERMINISTIC_CODES = frozenset({"stream_limit", "invalid_grant", "invalid_client",
                                  "unsupported_grant_type", "unknown_media",
                                  "unsafe_redirect"})


def classify(f: Failure) -> FailureClass:
    if f.code in _DETERMINISTIC_CODES:
        return FailureClass.DETERMINISTIC
    if f.code in _TRANSIENT_CODES:
        return FailureClass.TRANSIENT
    if f.code in _EXPIRED_CODES:
        return FailureClass.EXPIRED
    if f.network is Network.PREMATURE_EOF:
        return FailureClass.EXPIRED
    if f.network is not None:
        return FailureClass.TRANSIENT
    if f.status is None:
        return FailureClass.TRANSIENT
    if f.status in _TRANSIENT_STATUS or 500 <= f.status < 600:
        return FailureClass.TRANSIENT
    if f.status == 401:
        return FailureClass.AUTH
    if f.status in (403, 410) and f.signed_url:
        return FailureClass.EXPIRED
    return FailureClass.DETERMINISTIC
