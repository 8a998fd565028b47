"""Downloads: items kept for listening offline (docs/ARCHITECTURE.md, "Downloads").

A download pins its item in the media cache (never evicted) and fetches what the cache
lacks of it in the background, at full speed, by byte range. It opens the item through the
session manager like playback does, so its leases show in the Session panel and its tokens
and signed URLs are refreshed the same way: an expired URL or token (403/410/401) is renewed
through the manager, a transient failure is retried with the one retry policy and budget
(each attempt in the Retry log), and a body cut short goes on from the byte it reached. At
most `parallel` run at once, as asyncio tasks on the loop with httpx streaming; the bytes go
through the cache's writer, off the loop.

Which items are downloads is the cache's to remember (the pin): at start, `resume()` picks up
every pinned entry that is not complete, from the ranges already on disk.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from tui.core.errors import GaveUp, LoginRequired, Offline, ResolveError, ServiceError
from tui.core.events import SessionEvent
from tui.core.redact import redact
from tui.core.refs import RefKind
from tui.core.verdicts import Act, after_open_error
from tui.session.cache import CacheState, CacheTee, ItemMeta, MediaCache
from tui.session.streams import SessionManager

from ._fetcher import CacheRefused, Fetcher

log = logging.getLogger(__name__)

PARALLEL = 2              # downloads fetched at once
LIMIT_WAIT = 10.0         # s before trying again when the service's stream limit is reached
NOTIFY_EVERY = 0.25       # s between progress notices while bytes flow


class NotKeepable(ResolveError):
    """The item's stream cannot be kept (HLS, DASH, not over HTTP): the item's own fault,
    like a page that is gone."""


class DownloadState(enum.Enum):
    QUEUED = "queued"
    FETCHING = "fetching"
    RETRYING = "retrying"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Download:
    """One kept item, as the downloads view shows it."""

    ref: str
    title: str
    state: DownloadState = DownloadState.QUEUED
    done: int = 0                    # bytes in the cache
    total: int | None = None         # the whole file's, once known
    speed: float = 0.0               # bytes/s while fetching
    reason: str | None = None        # why it retries or failed (redacted)

    @property
    def share(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


class Downloads:
    def __init__(self, session: SessionManager, cache: MediaCache, *,
                 parallel: int = PARALLEL) -> None:
        self.session = session
        self.cache = cache
        self.parallel = parallel
        self.limit_wait = LIMIT_WAIT
        self._slots: asyncio.Semaphore | None = None
        self._items: dict[str, Download] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._keys = itertools.count(1)
        self._last_notice = 0.0
        self.listeners: list[Callable[[], None]] = []   # told when anything shown changed

    # --- what the user asks -------------------------------------------------------------

    def items(self) -> list[Download]:
        return list(self._items.values())

    def get(self, ref: str) -> Download | None:
        return self._items.get(ref)

    def keep(self, ref: str, title: str | None = None, meta: ItemMeta | None = None) -> Download:
        """Pin `ref` and fetch what is missing of it (again, if it failed)."""
        if meta is not None:
            self.cache.describe(ref, meta)
        self.cache.pin(ref)
        d = self._items.get(ref)
        if d is None:
            d = self._items[ref] = Download(ref, title or ref)
        elif title:
            d.title = title
        self._start(d)
        return d

    def keep_all(self, items: Iterable[tuple[str, str | None, ItemMeta | None]]) -> int:
        """`keep` each (ref, title, meta) that can be kept; how many were new."""
        new = 0
        for ref, title, meta in items:
            if self.session.kind(ref) is RefKind.FILE:
                continue
            if ref in self._items:
                self.retry(ref)  # a failed one tries again; the others go on as they are
                continue
            self.keep(ref, title, meta)
            new += 1
        return new

    def cancel(self, ref: str) -> None:
        """Stop fetching `ref` and unpin it: what was fetched stays as ordinary cache."""
        task = self._tasks.pop(ref, None)
        if task is not None:
            task.cancel()
        self.cache.unpin(ref)
        self._items.pop(ref, None)
        self._changed(force=True)

    def retry(self, ref: str) -> None:
        d = self._items.get(ref)
        if d is not None and d.state is DownloadState.FAILED:
            self.cache.pin(ref)  # a failure of the item's own unpinned it
            self._start(d)

    async def resume(self) -> int:
        """At start: every pinned entry is a download; those not complete are fetched from
        the ranges already cached. How many were resumed."""
        await self.cache.ready()
        resumed = 0
        for entry in self.cache.entries():
            if not entry.pinned or entry.ref in self._items:
                continue
            d = self._items[entry.ref] = Download(entry.ref, entry.meta.title or entry.ref,
                                                  done=entry.cached, total=entry.length)
            if entry.state is CacheState.COMPLETE:
                d.state, d.done = DownloadState.DONE, entry.length or entry.cached
            else:
                self._start(d)
                resumed += 1
        self._changed(force=True)
        return resumed

    # --- a background service of the app ------------------------------------------------

    async def start(self) -> bool:
        await self.resume()
        return True

    def stop(self) -> None:
        """Stop fetching (what was fetched is kept; it goes on at the next start)."""
        for task in list(self._tasks.values()):
            task.cancel()

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait(self, ref: str) -> Download:
        """Until `ref`'s download is done or failed (for tools and tests)."""
        task = self._tasks.get(ref)
        if task is not None:
            await asyncio.shield(task)
        return self._items[ref]

    # --- fetching -------------------------------------------------------------------------

    def _start(self, d: Download) -> None:
        if ref_task := self._tasks.get(d.ref):
            if not ref_task.done():
                return
        d.state, d.reason, d.speed = DownloadState.QUEUED, None, 0.0
        if self.session.connectivity.forced:
            d.reason = "offline: fetched when ytplay runs online"
            self._changed(force=True)
            return
        task = asyncio.ensure_future(self._run(d))
        self._tasks[d.ref] = task
        task.add_done_callback(lambda t, ref=d.ref: self._tasks.get(ref) is t
                               and self._tasks.pop(ref))
        self._changed(force=True)

    async def _run(self, d: Download) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.parallel)
        while not await self._run_in_slot(d):
            # The service's stream limit: wait out of the slot, so that downloads from
            # elsewhere (yt-dlp's, which count against no limit) go on meanwhile.
            await asyncio.sleep(self.limit_wait)
            d.state = DownloadState.QUEUED
            self._changed(force=True)

    async def _run_in_slot(self, d: Download) -> bool:
        """Fetch `d` in one of the slots: False when it has to wait for a free stream."""
        assert self._slots is not None
        async with self._slots:
            try:
                await self._fetch_until_done(d)
            except asyncio.CancelledError:
                raise
            except ServiceError as e:
                if e.failure.code != "stream_limit":
                    self._fail(d, redact(str(e)), e)
                    return True
                self._retrying(d, "the service's stream limit is reached; waiting for a "
                               "free stream")
                return False
            except Offline:
                self._fail(d, "offline: r tries again (and it goes on at the next start)")
            except (ResolveError, LoginRequired, GaveUp, CacheRefused) as e:
                self._fail(d, redact(str(e)), e)
            except Exception as e:  # a bug must not end silently: say it on the item
                log.exception("download of %s failed", redact(d.ref))
                self._fail(d, f"unexpected error: {type(e).__name__}: {redact(str(e))}")
        return True

    async def _fetch_until_done(self, d: Download) -> None:
        await self.cache.ready()
        while True:
            info = self.cache.lookup(d.ref)
            d.done, d.total = info.cached, info.length
            if info.state is CacheState.COMPLETE:
                d.state, d.speed, d.reason = DownloadState.DONE, 0.0, None
                d.done = info.length or info.cached
                self._changed(force=True)
                return
            await self._fetch_once(d)

    async def _fetch_once(self, d: Download) -> None:
        """Open the item through the session manager and fetch every missing range."""
        key = f"download{next(self._keys)}"
        if self.session.kind(d.ref) is RefKind.FILE:
            raise NotKeepable("a local file: nothing to download")
        d.state = DownloadState.FETCHING
        self._changed(force=True)
        info, _url, proxied = await self.session.open(key, d.ref)
        try:
            stream = self.session.stream(key)
            if stream is not None and (stream.hls or not stream.proxyable or not proxied):
                raise NotKeepable("this stream cannot be kept (HLS, DASH or not over HTTP)")
            if info.title and d.title in (d.ref, ""):
                d.title = info.title
            fetcher = Fetcher(self.session, self.cache, CacheTee(self.cache,
                                                                 self.session.ref_of),
                              key, d.ref, resource=f"download · {d.title}",
                              progress=lambda done, total, speed: self._progress(
                                  d, done, total, speed),
                              retrying=lambda why: self._retrying(d, why))
            await fetcher.run()
        finally:
            self.session.close(key)

    # --- what the view shows ------------------------------------------------------------

    def _progress(self, d: Download, done: int, total: int | None, speed: float) -> None:
        d.state, d.done, d.total, d.speed, d.reason = (DownloadState.FETCHING, done, total,
                                                       speed, None)
        self._changed()

    def _retrying(self, d: Download, why: str) -> None:
        d.state, d.reason, d.speed = DownloadState.RETRYING, redact(why), 0.0
        self._changed(force=True)

    def _fail(self, d: Download, reason: str, error: Exception | None = None) -> None:
        """`d` failed with `reason`. When it is the item's own fault (a stream that cannot
        be kept, a page that is gone: what playback would skip it for) it is unpinned, so it
        is not tried again at every start, and an entry that holds nothing is not left
        behind; what it fetched stays as ordinary cache. A failure outside it (offline,
        the service down, a login, the cache full) keeps the pin: it goes on at the next
        start."""
        if error is not None and after_open_error(error).act is Act.SKIP:
            self.cache.unpin(d.ref)
        d.state, d.reason, d.speed = DownloadState.FAILED, reason, 0.0
        self.session.emit(SessionEvent(f"download · {d.title}", "failed", error=reason))
        self._changed(force=True)

    def _changed(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_notice < NOTIFY_EVERY:
            return
        self._last_notice = now
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.exception("downloads listener failed")
