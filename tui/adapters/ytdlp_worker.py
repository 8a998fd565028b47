"""yt-dlp in a process of its own: `python -m tui.adapters.ytdlp_worker THREADS`, started
and let go by YtDlpResolver (tui/adapters/ytdlp_resolver.py), answering its requests over
pipes (tui/adapters/worker_process.py). The one module that imports yt-dlp: ytplay itself
never does, so the ~30 MiB yt-dlp holds once loaded are given back when this ends.

Requests: `resolve` (a reference's stream, with the yt-dlp options the request carries) and
`expand` (a playlist's entries, flat). Answers: `{"ok": ...}`, or `{"error": ...}` — a
ResolveError as plain values (ytdlp_errors.to_wire), already classified."""

from __future__ import annotations

import dataclasses
import logging
import sys
from functools import partial
from typing import Any, Callable, Mapping

import yt_dlp
from yt_dlp.utils import unsmuggle_url

from tui.core.errors import ResolveError
from tui.core.expiry import parse_url_expiry
from tui.core.m3u import Entry
from tui.core.models import StreamInfo
from tui.core.redact import redact

from .worker_process import Answer, Channel, serve, take_stdio
from .ytdlp_errors import classified, message, to_wire


class _Logger:
    """yt-dlp's messages for ytplay's log file (redacted on the way), never a terminal."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def debug(self, msg: str) -> None:
        self._channel.log(logging.DEBUG, f"yt-dlp: {msg}")

    def info(self, msg: str) -> None:
        self._channel.log(logging.DEBUG, f"yt-dlp: {msg}")

    def warning(self, msg: str) -> None:
        self._channel.log(logging.INFO, f"yt-dlp: {msg}")

    def error(self, msg: str) -> None:
        self._channel.log(logging.INFO, f"yt-dlp: {msg}")


def _reason(exc: BaseException) -> str:
    """yt-dlp's error text without its 'ERROR:' prefix, colours or secrets."""
    return redact(message(exc))


def _title(info: Mapping[str, Any]) -> str | None:
    """The item's title as its site gives it. Of a live stream yt-dlp's `title` has the
    date and time of the resolve appended ("Demo Radio (live) 2026-12-07 11:36", for file
    names); `fulltitle` is the title before that."""
    return info.get("track") or info.get("fulltitle") or info.get("title")


def _thumbnail(info: Mapping[str, Any]) -> str | None:
    """The item's artwork: yt-dlp's chosen thumbnail (the best, listed last), if it is a
    web address."""
    candidates = [info.get("thumbnail")]
    candidates += [t.get("url") for t in reversed(info.get("thumbnails") or [])
                   if isinstance(t, dict)]
    return next((u for u in candidates if isinstance(u, str)
                 and u.startswith(("https://", "http://"))), None)


def resolve(ref: str, params: Mapping[str, Any]) -> StreamInfo:
    try:
        with yt_dlp.YoutubeDL(dict(params)) as ydl:
            info = ydl.extract_info(ref, download=False)
    except yt_dlp.utils.YoutubeDLError as e:
        # Why, sorted: the item's fault is never retried, the network's is (core).
        raise classified(e) from None
    except Exception as e:  # extractor bugs surface as arbitrary exceptions
        raise ResolveError(f"yt-dlp failed: {_reason(e)}") from None
    if info is None:
        raise ResolveError("yt-dlp found nothing to play")
    if info.get("_type") == "playlist":
        entries = [e for e in info.get("entries") or [] if e]
        if not entries:
            raise ResolveError("the playlist is empty")
        info = entries[0]
    chosen = (info.get("requested_formats") or [info])[0]
    url = chosen.get("url") or info.get("url")
    if not url:
        raise ResolveError("yt-dlp found no playable stream")
    url, smuggled = unsmuggle_url(url)
    headers = dict(chosen.get("http_headers") or info.get("http_headers") or {})
    if smuggled and smuggled.get("referer"):
        headers.setdefault("Referer", smuggled["referer"])
    duration = info.get("duration")
    return StreamInfo(
        url=url,
        title=_title(info) or ref,
        artist=info.get("artist") or info.get("creator") or info.get("uploader"),
        duration=float(duration) if duration else None,
        headers=headers,
        expires_at=parse_url_expiry(url),
        album=info.get("album") or None,
        cover=_thumbnail(info),
    )


def expand(ref: str, params: Mapping[str, Any]) -> list[Entry]:
    try:
        with yt_dlp.YoutubeDL({**params, "extract_flat": "in_playlist"}) as ydl:
            info = ydl.extract_info(ref, download=False)
    except Exception as e:  # yt-dlp's own errors and extractor bugs alike
        raise ResolveError(_reason(e)) from None
    if not info:
        raise ResolveError("yt-dlp found nothing")
    if info.get("_type") != "playlist":
        duration = info.get("duration")
        return [Entry(ref, _title(info),
                      info.get("artist") or info.get("uploader"),
                      float(duration) if duration else None)]
    entries = []
    for e in info.get("entries") or []:
        url = e and (e.get("url") or e.get("webpage_url"))
        if not url:
            continue
        duration = e.get("duration")
        entries.append(Entry(unsmuggle_url(url)[0], e.get("title"),
                             e.get("artist") or e.get("uploader") or e.get("channel"),
                             float(duration) if duration else None))
    return entries


def _answer(run: Callable[[str, Mapping[str, Any]], StreamInfo | list[Entry]],
            logger: _Logger, request: dict[str, Any]) -> Answer:
    """A request answered: what `run` found as plain values, or the error it raised."""
    try:
        found = run(request["ref"], {**request["params"], "logger": logger})
    except ResolveError as e:
        return {"error": to_wire(e)}
    if isinstance(found, list):
        return {"ok": [dataclasses.asdict(e) for e in found]}
    return {"ok": dataclasses.asdict(found)}


def main() -> None:
    channel = take_stdio()
    logger = _Logger(channel)
    serve(channel, {"resolve": partial(_answer, resolve, logger),
                    "expand": partial(_answer, expand, logger)}, threads=int(sys.argv[1]))


if __name__ == "__main__":
    main()
