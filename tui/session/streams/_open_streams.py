"""The open streams by key, each a lease kept alive (docs/ARCHITECTURE.md, "Session
manager" and "Leases and refresh-ahead"): renewed a window before it expires on the one
scheduler, renewed on demand single-flight when a URL or token is refused, kept while it
still works when a renewal fails, and reported dead when nothing valid is left. The proxy's
side of `proxy.UpstreamProvider` (the current URL and headers, renewals after a failure,
what an HLS playlist says) is answered from here."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable, cast

from tui.core.bus import EventBus
from tui.core.errors import GaveUp, LoginRequired, ResolveError, ServiceError, told_without
from tui.core.events import SessionEvent, StreamDegraded, StreamLive
from tui.core.expiry import clock_note
from tui.core.failures import FailureClass
from tui.core.leases import Lease, LeaseKind, LeaseState, RefreshRule
from tui.core.origins import allowed, origin as origin_of
from tui.core.redact import redact
from tui.core.retry import RetryBudget
from tui.session.leases import LeaseBook, LeaseScheduler, Retrier
from tui.session.proxy import Upstream

from ._sources import ResolverSource, Stream, StreamSource
from ._ytdlp_fallbacks import in_use, item_fault, next_fallback

RECOVERABLE = (ServiceError, GaveUp, LoginRequired, ResolveError)


@dataclass
class OpenStream:
    key: str
    label: str
    source: StreamSource
    stream: Stream
    position: float = 0.0
    refreshing: asyncio.Future[Stream] | None = None
    degraded: str | None = None       # why no valid stream is left, when none is
    stale: int = 0                    # times in a row it arrived already expired
    live: bool = False                # a live HLS stream (the relay read its playlist)
    ref: str | None = None            # the queue item's reference: its media cache entry
    held: bool = False                # its media cache entry is held while it is open
    played: bool = False              # libmpv has reported a position: bytes got through
    item_fault: bool = False          # nothing is left because of the item itself


class StreamLeases:
    def __init__(self, *, scheduler: LeaseScheduler, book: LeaseBook, retrier: Retrier,
                 rule: RefreshRule, rng: random.Random, limit: RetryBudget,
                 emit: Callable[[SessionEvent], None], bus: EventBus) -> None:
        """`limit`: the one rate limit of renewals ahead of expiry."""
        self.scheduler = scheduler
        self.book = book
        self.retrier = retrier
        self.rule = rule
        self.rng = rng
        self.limit = limit
        self.emit = emit
        self.bus = bus
        self.open: dict[str, OpenStream] = {}

    def get(self, key: str) -> OpenStream | None:
        return self.open.get(key)

    def add(self, o: OpenStream, *, expires: bool = True) -> None:
        """`expires`: False for what never does (a media cache entry): no lease to show or
        renew."""
        self.open[o.key] = o
        if expires:
            self._show(o)
            self._schedule(o)

    def remove(self, key: str) -> OpenStream | None:
        o = self.open.pop(key, None)
        if o is not None:
            self.scheduler.cancel(f"stream:{key}")
            self.book.drop(f"url:{key}")
            self.book.drop(f"session:{key}")
        return o

    def drain(self) -> list[OpenStream]:
        """Every open stream, let go of at exit (the scheduler is closed after)."""
        streams, self.open = list(self.open.values()), {}
        return streams

    # --- the proxy's side (proxy.UpstreamProvider) ---------------------------------------

    def name(self, key: str) -> str:
        o = self.open.get(key)
        return o.label if o is not None else key

    def upstream(self, key: str) -> Upstream | None:
        o = self.open.get(key)
        if o is None:
            return None
        headers, token = dict(o.stream.headers), None
        tokens = o.source.tokens
        if tokens is not None and tokens.access and allowed(o.stream.url, o.source.bearer_origins):
            token = tokens.access
            headers["Authorization"] = f"Bearer {token}"
        return Upstream(o.stream.url, headers, token)

    async def renew(self, key: str, failed: Upstream, error: ServiceError) -> None:
        o = self.open.get(key)
        if o is None:
            raise GaveUp("the stream was closed")
        if error.failure_class is FailureClass.AUTH:
            if o.source.tokens is None:
                raise error
            await o.source.tokens.refresh(rejected=failed.token)
        elif error.failure.status == 403 and not o.played \
                and isinstance(o.source, ResolverSource) and o.source.fallbacks:
            await self._fall_back(o, failed)
        else:
            # The proxy's errors say where they came from ("… from <url>", "upstream cut off
            # at byte …"): not prefixed again.
            await self.refresh(key, rejected_url=failed.url, reason=redact(str(error)))

    async def _fall_back(self, o: OpenStream, failed: Upstream) -> None:
        """A fresh yt-dlp URL refused (403) before anything played: that way of resolving
        does not work for it (a player client, a format), so it is resolved once with the
        next `[ytdlp] fallbacks`; when they are used up, the item itself has failed."""
        if o.stream.url != failed.url:
            return  # another request has moved it on already
        if o.refreshing is None:
            o.refreshing = asyncio.ensure_future(self._next_fallback(o))
            o.refreshing.add_done_callback(lambda f: self._refreshed(o, f))
        await asyncio.shield(o.refreshing)

    async def _next_fallback(self, o: OpenStream) -> Stream:
        try:
            stream = await next_fallback(cast(ResolverSource, o.source),
                                         f"stream URL · {o.label}", self.emit,
                                         partial(self.book.update, f"url:{o.key}"))
        except RECOVERABLE as e:
            o.item_fault = item_fault(e)
            raise
        o.stream, o.degraded = stream, None
        self._show(o)
        self.book.update(f"url:{o.key}", last_error=in_use(cast(ResolverSource, o.source)))
        self._schedule(o)
        return stream

    def playlist_read(self, key: str, expires_at: float | None, live: bool) -> None:
        """The HLS relay fetched `key`'s playlist: its segment URLs expire at `expires_at`.
        When that is before the stream URL's own expiry, the stream's lease ends then, so
        it is renewed (resolved again) before its segments die."""
        o = self.open.get(key)
        if o is None:
            return
        if live and not o.live:
            self.bus.publish(StreamLive(key))  # Now Playing shows it so (Playback)
        o.live = live
        if expires_at is None or (o.stream.expires_at is not None
                                  and o.stream.expires_at <= expires_at):
            return
        o.stream = dataclasses.replace(o.stream, expires_at=expires_at)
        self._show(o)
        self._schedule(o)

    def clock_learnt(self, origin: str, offset: float) -> None:
        """`origin`'s clock was learnt, or moved: the open streams whose expiry was read on
        it are moved onto ours with it, and renewed by the corrected expiry (one that looked
        expired on arrival is not renewed in a loop; one that looked good for minutes after
        it died is renewed before it does)."""
        for o in list(self.open.values()):
            if o.stream.origin_offset is None or origin_of(o.stream.url) != origin:
                continue
            o.stream = o.stream.on_clock(offset)
            self._show(o)
            self._schedule(o)

    def report_dead(self, key: str, reason: str) -> None:
        """Nothing valid is left for `key` (the proxy ran out of ways to reach upstream)."""
        o = self.open.get(key)
        if o is not None:
            self._dead(o, reason, reason)

    def _dead(self, o: OpenStream, reason: str, row: str) -> None:
        """`reason` goes where playback holds, `row` on the stream's row (which names it)."""
        o.degraded = reason
        self.book.update(f"url:{o.key}", state=LeaseState.FAILED, last_error=row)
        self.bus.publish(StreamDegraded(o.key, reason, item_fault=o.item_fault))

    # --- renewing -------------------------------------------------------------------------

    async def refresh(self, key: str, rejected_url: str | None = None,
                      reason: str = "expiring soon") -> Stream:
        """A fresh stream for `key`, single-flight. With `rejected_url`, the caller saw that
        URL fail; when the stream has moved on since, the newer one is returned at once."""
        o = self.open.get(key)
        if o is None:
            raise GaveUp("the stream was closed")
        if rejected_url is not None and o.stream.url != rejected_url and o.degraded is None:
            return o.stream
        if o.refreshing is None:
            o.refreshing = asyncio.ensure_future(self._refresh(o, rejected_url, reason))
            o.refreshing.add_done_callback(lambda f: self._refreshed(o, f))
        return await asyncio.shield(o.refreshing)

    @staticmethod
    def _refreshed(o: OpenStream, future: asyncio.Future[Stream]) -> None:
        o.refreshing = None
        if not future.cancelled():
            future.exception()  # the awaiting callers receive it

    async def _refresh(self, o: OpenStream, rejected_url: str | None, reason: str) -> Stream:
        lease_key, resource = f"url:{o.key}", f"stream URL · {o.label}"
        self.book.update(lease_key, state=LeaseState.REFRESHING, last_error=None)
        self.emit(SessionEvent(resource, f"refreshing ({reason})"))

        def retrying(attempt: int, delay: float, error: str) -> None:
            self.book.update(lease_key, state=LeaseState.RETRYING, attempt=attempt,
                             attempts=self.retrier.policy.attempts,
                             next_retry_at=time.time() + delay, last_error=error)
        try:
            stream = await o.source.refresh(o.position, retrying, o.label)
        except RECOVERABLE as e:
            self._degrade(o, rejected_url, e)
            raise
        if o.key not in self.open:
            return stream  # closed while refreshing
        o.stream, o.degraded = stream, None
        self._show(o)
        self.emit(SessionEvent(resource, "refreshed"))
        self._schedule(o)
        return stream

    def _degrade(self, o: OpenStream, rejected_url: str | None, e: BaseException) -> None:
        """A refresh failed. While the current URL is still good, keep using it and try
        again later; when nothing valid is left, say so (the player pauses)."""
        lease_key, resource = f"url:{o.key}", f"stream URL · {o.label}"
        error = redact(told_without(e, resource))  # its row and line name the stream already
        left = None if o.stream.expires_at is None else o.stream.expires_at - time.time()
        if rejected_url is None and (left is None or left > 2):
            retry_in = 15.0 if left is None else min(15.0, left / 2)
            self.book.update(lease_key, state=LeaseState.FRESH, last_error=error,
                             attempt=None, next_retry_at=time.time() + retry_in)
            self.scheduler.schedule(f"stream:{o.key}", self.scheduler.now() + retry_in,
                                    lambda: self._refresh_ahead(o.key))
            self.emit(SessionEvent(resource, "keeping the current URL",
                                    delay=retry_in, error=error))
            return
        self.book.update(lease_key, attempt=None, next_retry_at=None)
        self._dead(o, redact(str(e)), error)

    def _schedule(self, o: OpenStream) -> None:
        now_wall, now = time.time(), self.scheduler.now()
        deadlines: list[tuple[float, str]] = []  # when, and why (the Retry log says it)
        expires_at = o.stream.expires_at
        o.stale = o.stale + 1 if expires_at is not None and expires_at <= now_wall else 0
        if o.stale:
            deadlines.append((now + self.rule.stale_gap(o.stale), "expiring soon"))
        elif expires_at is not None:
            issued = now - (now_wall - o.stream.issued_at)
            expires = now + (expires_at - now_wall)
            deadlines.append((self.rule.refresh_at(issued, expires, self.rng.random()),
                              "expiring soon"))
        if o.source.heartbeat_interval:
            deadlines.append((now + max(o.source.heartbeat_interval, self.rule.min_gap),
                              "heartbeat"))
        if deadlines:
            when, reason = min(deadlines)
            self.scheduler.schedule(f"stream:{o.key}", when,
                                    lambda: self._refresh_ahead(o.key, reason))

    def _refresh_ahead(self, key: str, reason: str = "expiring soon") -> None:
        if key not in self.open:
            return
        if not self.limit.try_spend():
            wait = 1.0 / self.limit.per_second
            self.book.update(f"url:{key}", last_error="renewals rate-limited")
            self.scheduler.schedule(f"stream:{key}", self.scheduler.now() + wait,
                                    lambda: self._refresh_ahead(key, reason))
            return
        task = asyncio.ensure_future(self.refresh(key, reason=reason))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _show(self, o: OpenStream) -> None:
        offset = o.stream.origin_offset
        note = clock_note(o.source.clock_offset if offset is None else offset)
        if o.stream.expires_at is not None and o.stream.expires_at <= time.time():
            note = note or "arrived already expired"
        self.book.put(f"url:{o.key}", Lease(LeaseKind.STREAM_URL, o.label, o.stream.expires_at,
                                            last_error=note))
        if o.source.heartbeat_interval:
            self.book.put(f"session:{o.key}",
                          Lease(LeaseKind.PLAYBACK_SESSION, o.label,
                                time.time() + 3 * o.source.heartbeat_interval))
