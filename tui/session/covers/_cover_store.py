"""Cover art: the current item's picture as a file on disk, for the UI to draw.

A cover (`QueueItem.cover`) is an image URL (yt-dlp's thumbnail, a service library's
`image`) or a local file that embeds its picture. Either way the image is kept in the cache
folder under a content-addressed name (`<sha256>.<png|jpg|…>`: an album's tracks share one
file), and a URL is remembered by a small pointer file, so a cover is fetched once, ever:
the next play, in this run or the next, sends no request.

Credentials: a URL at a configured service's own origin is fetched with that service's
bearer token, when ytplay is signed in there (a picture is never worth a login); any other
URL is fetched with none. Fetching, hashing and writing happen off the UI loop; a failed
fetch is not retried for a while, and never by the retry policy (a missing picture is not
worth a retry storm)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from pathlib import Path

from tui.config.atomic import atomic_write, remove_abandoned_temps
from tui.core.errors import ServiceError, YtplayError
from tui.core.failures import FailureClass
from tui.core.origins import same_origin
from tui.core.ports import TagReader
from tui.core.redact import redact
from tui.session.services import read_capped
from tui.session.streams import SessionManager

log = logging.getLogger(__name__)

MAX_BYTES = 8 * 1024 * 1024  # an image bigger than this is not a cover
KEEP = 400                   # images kept in the cache folder; the oldest go first
RETRY_AFTER = 300.0          # s before a cover that could not be had is tried again

_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF87a", ".gif"),
               (b"GIF89a", ".gif"), (b"BM", ".bmp"))


def image_type(data: bytes) -> str | None:
    """The file extension of an image format a terminal image library reads, by its
    signature; None when `data` is no such image (an HTML error page, say)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return next((ext for magic, ext in _SIGNATURES if data.startswith(magic)), None)


def _digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:40]


class CoverStore:
    def __init__(self, folder: Path, session: SessionManager,
                 tags: TagReader | None = None) -> None:
        self.folder = folder
        self.session = session
        self.tags = tags
        self.fetches = 0  # requests made, for the tests
        self._known: dict[str, tuple[Path | None, float]] = {}  # cover -> (file, retry at)
        self._inflight: dict[str, asyncio.Future[Path | None]] = {}

    async def path(self, cover: str) -> Path | None:
        """The cover's image file, fetched or taken out of its media file first if need
        be; None when there is none. Callers asking for the same cover at once share one
        fetch, and a caller that gives up does not stop it."""
        known = self._known.get(cover)
        if known is not None:
            path, retry_at = known
            if path is not None and path.exists():
                return path
            if path is None and time.monotonic() < retry_at:
                return None
        future = self._inflight.get(cover)
        if future is None:
            future = asyncio.ensure_future(self._find(cover))
            self._inflight[cover] = future
            future.add_done_callback(lambda _f: self._inflight.pop(cover, None))
        return await asyncio.shield(future)

    async def _find(self, cover: str) -> Path | None:
        try:
            if "://" not in cover:
                path = await asyncio.to_thread(self._embedded, cover)
            elif cover.startswith(("https://", "http://")):
                path = await asyncio.to_thread(self._cached, cover)
                if path is None:
                    data = await self._download(cover)
                    path = await asyncio.to_thread(self._keep, cover, data) if data else None
            else:
                path = None
        except (OSError, ValueError) as e:
            log.info("no cover from %s: %s", redact(cover), e)
            path = None
        self._known[cover] = (path, time.monotonic() + RETRY_AFTER)
        return path

    # --- on a worker thread -----------------------------------------------------------------

    def _embedded(self, media: str) -> Path | None:
        data = self.tags.picture(media) if self.tags is not None else None
        return self._store(data) if data else None

    def _pointer(self, url: str) -> Path:
        return self.folder / "by-url" / _digest(url)

    def _cached(self, url: str) -> Path | None:
        """The image a URL was fetched as before, if it is still in the cache."""
        try:
            name = self._pointer(url).read_text("ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        path = self.folder / name
        if "/" in name or not path.is_file():
            return None
        os.utime(path)  # recently used: pruned last
        return path

    def _keep(self, url: str, data: bytes) -> Path | None:
        path = self._store(data)
        if path is not None:
            atomic_write(self._pointer(url), path.name)
        return path

    def _store(self, data: bytes) -> Path | None:
        """`data` in the cache under its content's name; None when it is no image."""
        ext = image_type(data)
        if ext is None or len(data) > MAX_BYTES:
            return None
        path = self.folder / f"{_digest(data)}{ext}"
        if path.exists():
            os.utime(path)
            return path
        atomic_write(path, data)
        self._prune()
        return path

    def _prune(self) -> None:
        images = [p for p in self.folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        if len(images) <= KEEP:
            return
        images.sort(key=lambda p: p.stat().st_mtime)
        for old in images[:len(images) - KEEP * 4 // 5]:
            old.unlink(missing_ok=True)  # a pointer to it now finds nothing: fetched again
        remove_abandoned_temps(self.folder)

    # --- fetching ---------------------------------------------------------------------------

    async def _download(self, url: str) -> bytes | None:
        if self.session.connectivity.forced:
            return None  # --offline: no request at all
        for name, svc in list(self.session.services.items()):
            if same_origin(url, svc.client.base_url):
                return await self._from_service(name, url)
        return await self._from_web(url)

    async def _from_service(self, name: str, url: str) -> bytes | None:
        svc = self.session.services[name]
        tokens = svc.tokens
        if tokens.access is None:
            return None  # not signed in; the cover comes once something of it has played
        self.fetches += 1
        try:
            token = await tokens.token()
            try:
                return await svc.client.image(token, url, MAX_BYTES)
            except ServiceError as e:
                if e.failure_class is not FailureClass.AUTH:
                    raise
            self.fetches += 1
            return await svc.client.image(await tokens.refresh(rejected=token), url, MAX_BYTES)
        except YtplayError as e:
            log.info("no cover from %s: %s", name, e)
            return None

    async def _from_web(self, url: str) -> bytes | None:
        import httpx  # loaded on first use: after the first frame

        self.fetches += 1
        try:
            async with self.session.http.stream("GET", url, follow_redirects=True) as r:
                if r.status_code != 200:
                    log.info("no cover from %s: %s", redact(url), r.status_code)
                    return None
                return await read_capped(r, MAX_BYTES)
        except httpx.HTTPError as e:
            log.info("no cover from %s: %s", redact(url), type(e).__name__)
            return None
