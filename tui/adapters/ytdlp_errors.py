"""yt-dlp's exceptions as plain facts for core's classification (tui/core/extraction.py).

yt-dlp wraps: `extract_info` raises DownloadError, whose `exc_info` holds what the
extractor raised (ExtractorError, GeoRestrictedError, UnsupportedError, ...), which in turn
holds the network error under it (HTTPError with its status, TransportError) in `exc_info`
or `cause`. The whole chain is read, so the class names, the HTTP status, whether a
connection was made at all and, if not, why (the OSError under it: refused by the host, or
no name or route — tui/core/reach.py) are known whatever the wrapping.

yt-dlp runs in a worker process (ytdlp_worker): what it raised is classified there, and the
error crosses to ytplay as plain values (`to_wire`, `from_wire`), class and all."""

from __future__ import annotations

import re
from typing import Any, Mapping

from tui.core.errors import ResolveError
from tui.core.extraction import Extraction, ExtractionError, ExtractionFacts, extraction_error
from tui.core.failures import Network
from tui.core.reach import causes, connect_failure

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _held(e: BaseException) -> list[object]:
    """Where yt-dlp and the libraries under it keep the error under one: `exc_info`
    (DownloadError), `cause` (RequestError), `reason` (urllib's URLError, urllib3's
    MaxRetryError)."""
    info = getattr(e, "exc_info", None)
    inner = info[1] if isinstance(info, tuple) and len(info) > 1 else None
    return [inner, getattr(e, "cause", None), getattr(e, "reason", None)]


def _connect_timed_out(chain: list[BaseException], kinds: frozenset[str]) -> bool:
    """A timeout while connecting, not while reading: urllib wraps in URLError only what
    failed before the request was sent; requests and urllib3 name it."""
    from urllib.error import URLError

    if kinds & {"ConnectTimeout", "ConnectTimeoutError"}:
        return True
    return any(isinstance(e, URLError) for e in chain) \
        and any(isinstance(e, TimeoutError) for e in chain)


def message(exc: BaseException) -> str:
    """yt-dlp's error text without its 'ERROR:' prefix or colours, first line only."""
    text = _ANSI.sub("", str(exc)).strip()
    text = re.sub(r"^ERROR:\s*", "", text)
    return text.splitlines()[0] if text else type(exc).__name__


def facts(exc: BaseException) -> ExtractionFacts:
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    chain = causes(exc, _held)
    kinds = frozenset(k.__name__ for e in chain for k in type(e).__mro__)
    status = next((e.status for e in chain if isinstance(e, HTTPError)), None)
    network = any(isinstance(e, TransportError) for e in chain)
    said = message(exc)
    unreachable = network and status is None and connect_failure(
        chain, timed_out=_connect_timed_out(chain, kinds), message=said) is Network.UNREACHABLE
    return ExtractionFacts(kinds, said, status, network, unreachable)


def classified(exc: BaseException) -> ExtractionError:
    return extraction_error(facts(exc))


def to_wire(e: ResolveError) -> dict[str, Any]:
    """`e` as JSON's plain values: its words, whether the network was out of reach and, of
    an ExtractionError, its class and HTTP status."""
    wire: dict[str, Any] = {"message": str(e), "unreachable": e.unreachable}
    if isinstance(e, ExtractionError):
        wire |= {"kind": e.kind.value, "status": e.status}
    return wire


def from_wire(wire: Mapping[str, Any]) -> ResolveError:
    """The error `to_wire` described, as it was raised."""
    unreachable = bool(wire.get("unreachable"))
    if "kind" in wire:
        return ExtractionError(str(wire["message"]), Extraction(wire["kind"]),
                               status=wire.get("status"), unreachable=unreachable)
    return ResolveError(str(wire["message"]), unreachable=unreachable)
