"""yt-dlp's exceptions as plain facts for core's classification (tui/core/extraction.py).

yt-dlp wraps: `extract_info` raises DownloadError, whose `exc_info` holds what the
extractor raised (ExtractorError, GeoRestrictedError, UnsupportedError, ...), which in turn
holds the network error under it (HTTPError with its status, TransportError) in `exc_info`
or `cause`. The whole chain is read, so the class names, the HTTP status and whether a
connection was made at all are known whatever the wrapping."""

from __future__ import annotations

import re

from tui.core.extraction import ExtractionError, ExtractionFacts, extraction_error

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _chain(exc: BaseException, depth: int = 8) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < depth:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        info = getattr(e, "exc_info", None)
        inner = info[1] if isinstance(info, tuple) and len(info) > 1 else None
        cause = getattr(e, "cause", None)
        todo += [inner, cause if isinstance(cause, BaseException) else None,
                 e.__cause__, e.__context__]
    return seen


def message(exc: BaseException) -> str:
    """yt-dlp's error text without its 'ERROR:' prefix or colours, first line only."""
    text = _ANSI.sub("", str(exc)).strip()
    text = re.sub(r"^ERROR:\s*", "", text)
    return text.splitlines()[0] if text else type(exc).__name__


def facts(exc: BaseException) -> ExtractionFacts:
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    chain = _chain(exc)
    kinds = frozenset(k.__name__ for e in chain for k in type(e).__mro__)
    status = next((e.status for e in chain if isinstance(e, HTTPError)), None)
    network = any(isinstance(e, TransportError) for e in chain)
    return ExtractionFacts(kinds, message(exc), status, network)


def classified(exc: BaseException) -> ExtractionError:
    return extraction_error(facts(exc))
