"""Why yt-dlp could not resolve a reference, sorted into what ytplay does about it
(docs/FAULTS.md, "When yt-dlp fails"): the item's own fault — unavailable, private,
geo-blocked, a login needed (age, members-only, sign-in), a URL no extractor supports — is
deterministic: the item is marked failed with the reason and never retried. The network's
fault — no connection, a timeout, a reset, HTTP 5xx or 429 — is transient: retried with the
retry policy's backoff; of those, only a network this machine cannot reach (no name, no
route, a connect that timed out) is `unreachable`, which makes ytplay offline — a refused
connection is the host's. Pure: the adapter hands over plain facts of yt-dlp's exception."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .errors import ResolveError
from .redact import redact
from .sanitize import printable


class Extraction(enum.Enum):
    UNAVAILABLE = "unavailable"
    PRIVATE = "private"
    GEO_BLOCKED = "geo-blocked"
    LOGIN = "login needed"
    UNSUPPORTED = "unsupported URL"
    FORMAT = "no such format"
    NETWORK = "network"
    OTHER = "failed"

    @property
    def transient(self) -> bool:
        return self is Extraction.NETWORK


@dataclass(frozen=True)
class ExtractionFacts:
    """What yt-dlp's exception (and the ones it wraps) says, as plain values."""

    kinds: frozenset[str]        # class names of every exception in the chain
    message: str                 # yt-dlp's message, first line, without "ERROR:"
    status: int | None = None    # the HTTP status of an HTTPError in the chain
    network: bool = False        # a transport failure (no HTTP answer at all)
    unreachable: bool = False    # and this machine could not reach the network (reach.py)


# Certificate errors are transport errors too, but waiting will not fix them.
_NOT_TRANSIENT = frozenset({"CertificateVerifyError"})
# What yt-dlp's extractors say, most specific first (YouTube's own words among them).
_PATTERNS: tuple[tuple[Extraction, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        (Extraction.GEO_BLOCKED, r"geo.?restrict|not available (from|in) your (location|country)"
                                 r"|blocked it in your country|in your country"),
        (Extraction.PRIVATE, r"private video|video is private|this (video|playlist) is private"),
        (Extraction.LOGIN, r"sign in to confirm|members.only|join this channel|login required"
                           r"|registered users|requires? (a )?(login|authentication|account)"
                           r"|age.restricted|inappropriate for some users|use --cookies"),
        (Extraction.UNSUPPORTED, r"unsupported url"),
        # Before UNAVAILABLE: the item is there, the format asked for is not.
        (Extraction.FORMAT, r"requested format is not available"),
        (Extraction.UNAVAILABLE, r"video unavailable|is (no longer|not) available|has been "
                                 r"removed|does not exist|not found|no longer exists"
                                 r"|account .* terminated"),
        (Extraction.NETWORK, r"timed? ?out|connection (reset|refused|aborted)"
                             r"|temporary failure in name resolution|name or service not known"
                             r"|nodename nor servname|network is unreachable"
                             r"|remote end closed connection"),
    ))

_PLAIN = {
    Extraction.UNAVAILABLE: "unavailable (removed, or never there)",
    Extraction.PRIVATE: "private",
    Extraction.GEO_BLOCKED: "not available in this country (geo-blocked)",
    Extraction.LOGIN: "needs a login (age-restricted, members-only or sign-in): give yt-dlp "
                      "a cookies file with [ytdlp] cookies_file",
    Extraction.UNSUPPORTED: "not a URL yt-dlp can play",
    Extraction.FORMAT: "no format that [ytdlp] format asks for (ytplay config edit)",
    Extraction.NETWORK: "a network or server problem",
    Extraction.OTHER: "yt-dlp could not resolve it",
}


def classify_extraction(f: ExtractionFacts) -> Extraction:
    if "UnsupportedError" in f.kinds:
        return Extraction.UNSUPPORTED
    if "GeoRestrictedError" in f.kinds:
        return Extraction.GEO_BLOCKED
    if f.status is not None and (f.status in (408, 429) or 500 <= f.status < 600):
        return Extraction.NETWORK  # whatever the page said: the server is struggling
    for kind, pattern in _PATTERNS:
        if kind is not Extraction.NETWORK and pattern.search(f.message):
            return kind
    if f.status is not None:
        if f.status in (404, 410):
            return Extraction.UNAVAILABLE
        if f.status == 401:
            return Extraction.LOGIN
        return Extraction.OTHER
    if f.network and not f.kinds & _NOT_TRANSIENT:
        return Extraction.NETWORK
    if _PATTERNS[-1][1].search(f.message):
        return Extraction.NETWORK
    return Extraction.OTHER


def reason(kind: Extraction, message: str) -> str:
    """The reason shown on the item: plain words first, then what the site said (cleaned
    of escape sequences and secrets, shortened)."""
    said = redact(printable(message)).strip()
    if len(said) > 160:
        said = said[:159] + "…"
    return f"{_PLAIN[kind]} — {said}" if said else _PLAIN[kind]


class ExtractionError(ResolveError):
    """yt-dlp could not resolve a reference; `kind` says why and whether retrying helps."""

    def __init__(self, message: str, kind: Extraction, *, status: int | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        # This machine could not reach the network (no name, no route, a connect that timed
        # out): the network's fault, and ytplay is offline. A refused connection is not: that
        # host answered, and only this item waits for it.
        self.unreachable = unreachable

    @property
    def transient(self) -> bool:
        return self.kind.transient


def extraction_error(f: ExtractionFacts) -> ExtractionError:
    kind = classify_extraction(f)
    return ExtractionError(reason(kind, f.message), kind, status=f.status,
                           unreachable=kind.transient and f.network and f.status is None
                           and f.unreachable)
