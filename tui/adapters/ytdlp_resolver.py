"""The Resolver port on yt-dlp, in-process, on a small thread pool (yt-dlp blocks)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Mapping, Sequence

from tui.core.errors import ResolveError
from tui.core.m3u import Entry
from tui.core.expiry import parse_url_expiry
from tui.core.models import StreamInfo
from tui.core.ports import TagReader
from tui.core.redact import redact

from .ytdlp_errors import classified, message

log = logging.getLogger(__name__)


class _QuietLogger:
    """yt-dlp's messages go to our log file, redacted, never to the terminal."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", redact(msg))

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", redact(msg))

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", redact(msg))

    def error(self, msg: str) -> None:
        log.info("yt-dlp: %s", redact(msg))


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


def fallback_label(options: Mapping[str, Any]) -> str:
    """A fallback in words, for the retry log: "player_client=web", "format=18"."""
    parts = []
    for key, value in options.items():
        if key == "extractor_args" and isinstance(value, Mapping):
            for args in value.values():
                if isinstance(args, Mapping):
                    parts += [f"{k}={','.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
                              for k, v in args.items()]
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "the defaults"


class YtDlpResolver:
    def __init__(self, *, video: bool = False, workers: int = 2,
                 options: Mapping[str, Any] | None = None, tags: TagReader | None = None,
                 fallbacks: Sequence[Mapping[str, Any]] = ()) -> None:
        """`tags`: reads a local file's title, artist, album, length and cover when it
        plays; without it a file is known by its name. `fallbacks`: yt-dlp options tried
        in turn when a fresh URL is refused at its first request (`[ytdlp] fallbacks`)."""
        self._fallbacks = [dict(f) for f in fallbacks]
        self._tags = tags
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yt-dlp")
        self._base: dict[str, Any] = {
            "quiet": True, "no_warnings": True, "noprogress": True, "logger": _QuietLogger(),
            "format": "best" if video else "bestaudio/best", "noplaylist": True,
            "socket_timeout": 15, "skip_download": True,
            # Its words go to the log file, never to a terminal: no colour codes in them.
            "color": "no_color",
        }
        self._params = {**self._base, **(options or {})}

    def configure(self, options: Mapping[str, Any],
                  fallbacks: Sequence[Mapping[str, Any]] = ()) -> None:
        """New yt-dlp options for the resolves that start from now on."""
        self._params = {**self._base, **options}
        self._fallbacks = [dict(f) for f in fallbacks]

    @property
    def fallbacks(self) -> list[str]:
        return [fallback_label(f) for f in self._fallbacks]

    async def resolve(self, ref: str) -> StreamInfo:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._resolve, ref)

    async def resolve_with(self, ref: str, fallback: int) -> StreamInfo:
        loop = asyncio.get_running_loop()
        extra = self._fallbacks[fallback - 1]
        return await loop.run_in_executor(self._executor, self._resolve, ref, extra)

    def _resolve(self, ref: str, extra: Mapping[str, Any] | None = None) -> StreamInfo:
        path = Path(ref).expanduser()
        if "://" not in ref and path.is_file():
            return self._file(path)
        # yt-dlp is imported on the first resolve, on this worker thread: it costs
        # ~100 ms that ytplay's first frame does not need.
        import yt_dlp
        from yt_dlp.utils import unsmuggle_url

        try:
            with yt_dlp.YoutubeDL({**self._params, **(extra or {})}) as ydl:
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

    def _file(self, path: Path) -> StreamInfo:
        """A local file: libmpv plays the path; its tags say what it is."""
        tags = self._tags.read(str(path)) if self._tags is not None else None
        if tags is None:
            return StreamInfo(url=str(path), title=path.name)
        return StreamInfo(url=str(path), title=tags.title or path.name, artist=tags.artist,
                          duration=tags.duration, album=tags.album,
                          cover=str(path) if tags.cover else None)

    async def expand(self, ref: str) -> list[Entry]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._expand, ref)

    def _expand(self, ref: str) -> list[Entry]:
        import yt_dlp  # on first use, off the UI loop (see _resolve)
        from yt_dlp.utils import unsmuggle_url

        params = {**self._params, "extract_flat": "in_playlist"}
        try:
            with yt_dlp.YoutubeDL(params) as ydl:
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

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
