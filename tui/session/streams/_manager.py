"""The session manager: every open stream and token as a lease, refreshed ahead of expiry
on one scheduler, refreshed on demand single-flight, retried by one policy, and served to
libmpv through the loopback proxy (docs/ARCHITECTURE.md, "Session manager").

It opens and closes streams (from the media cache, a service, an OAuth2 service's URL or
yt-dlp) and composes the parts that hold the rest: the services (_service_registry.py), the
streams resolved ahead (_resolved_ahead.py) and the open streams' leases, which also answer
the proxy (_open_streams.py)."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from typing import TYPE_CHECKING, Any, Iterable, Mapping, cast
from urllib.parse import urlsplit

from tui.core.bus import EventBus
from tui.core.clock import SystemClock
from tui.core.errors import ServiceError
from tui.core.events import SessionEvent
from tui.core.expiry import clock_note
from tui.core.leases import RefreshRule
from tui.core.m3u import Entry
from tui.core.models import StreamInfo
from tui.core.ports import Resolver
from tui.core.refs import RefKind
from tui.core.retry import RetryBudget, RetryPolicy
from tui.session.cache import CacheState, EntryInfo, ItemMeta, MediaCache
from tui.session.leases import LeaseBook, LeaseScheduler, Retrier
from tui.session.proxy import Relay, Upstream
from tui.session.store import TokenStore

from ._connectivity import Connectivity
from ._lazy_client import LazyClient
from ._open_streams import RECOVERABLE, OpenStream, StreamLeases
from ._origin_clocks import OriginClocks
from ._resolved_ahead import ResolvedAhead
from ._service_registry import ServiceRegistry
from ._sources import CachedSource, ResolverSource, Stream, StreamSource

if TYPE_CHECKING:
    # httpx is loaded with the first request, after the first frame (~50 ms)
    import httpx

log = logging.getLogger(__name__)


class SessionManager:
    def __init__(self, resolver: Resolver, *, policy: RetryPolicy | None = None,
                 rule: RefreshRule | None = None, budget: RetryBudget | None = None,
                 token_store: TokenStore | None = None, device_id: str | None = None,
                 rng: random.Random | None = None, bus: EventBus | None = None) -> None:
        self.resolver = resolver
        self.policy = policy or RetryPolicy()
        rule = rule or RefreshRule()
        rng = rng or random.Random()
        self.bus = bus or EventBus()
        self.book = LeaseBook()
        self.scheduler = LeaseScheduler()
        self.retrier = Retrier(self.policy, budget or RetryBudget(SystemClock()), self.emit,
                               rng)
        # Renewals ahead of expiry, successful ones too, share one rate limit: whatever a
        # server says about lifetimes, ytplay cannot be made to renew in a loop.
        limit = RetryBudget(SystemClock(), capacity=30.0, per_second=0.5)
        # The one HTTP client, made on the first request: see LazyClient.
        self.http = cast("httpx.AsyncClient", LazyClient())
        # The loopback proxy, joined by the composition root; without one, every stream
        # is handed to libmpv directly.
        self.relay: Relay | None = None
        # The media cache, joined by the composition root: a complete entry plays from it
        # with no resolve, no token and no network.
        self.cache: MediaCache | None = None
        # Whether the network may be (--offline) and can be reached: what is not cached is
        # passed over while it cannot (tui/session/streams/_connectivity.py).
        self.connectivity = Connectivity()
        self.services = ServiceRegistry(
            self.http, scheduler=self.scheduler, retrier=self.retrier, book=self.book,
            rule=rule, rng=rng, limit=limit, emit=self.emit, token_store=token_store,
            device_id=device_id or secrets.token_hex(8))
        # Each origin's clock, read from the Date of its answers: the expiry a URL carries
        # in itself is on that clock (_origin_clocks.py).
        self.clocks = OriginClocks(self._clock_learnt)
        self.ahead = ResolvedAhead(resolver, self.retrier, self.scheduler, self.book, rule,
                                   self._worth_resolving_ahead, clocks=self.clocks,
                                   limit=limit)
        self.leases = StreamLeases(scheduler=self.scheduler, book=self.book,
                                   retrier=self.retrier, rule=rule, rng=rng, limit=limit,
                                   emit=self.emit, bus=self.bus)
        # Streams being closed; a new playback session waits for them (the stream limit).
        self._closing: set[asyncio.Future[None]] = set()

    # --- services -------------------------------------------------------------------------

    def add_service(self, name: str, base_url: str, **options: Any) -> None:
        """A session-protocol service (`ServiceRegistry.add`)."""
        self.services.add(name, base_url, **options)

    def add_oauth2_service(self, name: str, **options: Any) -> None:
        """A standard OAuth 2.0 server's service (`ServiceRegistry.add_oauth2`)."""
        self.services.add_oauth2(name, **options)

    def behind_oauth2(self, ref: str) -> bool:
        """Whether `ref` is a URL an OAuth2 service covers: only its bearer opens it, so
        yt-dlp (which has none) is not asked about it."""
        return self.services.covering(ref) is not None

    def remove_services(self, names: set[str]) -> None:
        """Forget services; what is playing from one plays on until it ends."""
        self.services.remove(names)

    def reconfigure(self, policy: RetryPolicy, rule: RefreshRule, budget: RetryBudget) -> None:
        """New retry policy, refresh rule and budget, from now on."""
        self.policy = self.retrier.policy = policy
        self.retrier.budget = budget
        self.ahead.rule = self.leases.rule = rule
        self.services.reconfigure(rule)

    async def search_libraries(self, query: str) -> list[Entry]:
        """Items of every service's library whose title or artist contains `query`."""
        if self.connectivity.forced:
            raise self.connectivity.refuse()
        return await self.services.search(query)

    async def search_web(self, query: str, limit: int = 10) -> list[Entry]:
        """yt-dlp's YouTube search (`ytsearch`), where the network allows."""
        if self.connectivity.forced:
            raise self.connectivity.refuse()
        return await self.resolver.expand(f"ytsearch{limit}:{query}")

    # --- events ---------------------------------------------------------------------------

    def emit(self, event: SessionEvent) -> None:
        log.info("%s", event.text)
        self.bus.publish(event)

    def _clock_learnt(self, origin: str, offset: float) -> None:
        """An origin's clock was learnt, or moved: said where it matters, and the expiries
        read on it moved onto ours."""
        if (note := clock_note(offset)) is not None:
            host = urlsplit(origin).netloc
            self.emit(SessionEvent(host, f"{note}: the expiry its URLs carry is read on it"))
        self.leases.clock_learnt(origin, offset)
        self.ahead.clock_learnt(origin, offset)

    # --- streams --------------------------------------------------------------------------

    def kind(self, ref: str) -> RefKind:
        return self.services.parse(ref).kind

    def _source(self, ref: str) -> StreamSource:
        parsed = self.services.parse(ref)
        source = self.services.source(parsed)
        return source if source is not None else \
            ResolverSource(self.resolver, parsed.text, self.retrier, self.clocks)

    def look_ahead(self, coming: Iterable[tuple[int, str]]) -> None:
        """Keep streams resolved in the background for the items coming up, `(uid, ref)`,
        so that playing one later skips yt-dlp; drop those of items no longer coming."""
        self.ahead.look_ahead(coming)

    def _worth_resolving_ahead(self, ref: str) -> bool:
        # Only yt-dlp references: a service's playback session counts against its limit.
        return self.kind(ref) is RefKind.URL and not self.behind_oauth2(ref) \
            and not self.cached(ref) and self.connectivity.may_try()

    async def open(self, key: str, ref: str, uid: int | None = None) -> tuple[StreamInfo, str, bool]:
        """Acquire a stream for `ref`; returns its metadata, the URL to give the player and
        whether that URL is the proxy's. A stream resolved ahead for item `uid` is used
        without asking yt-dlp again.

        Cancelling the caller cleans up: whatever the source opened meanwhile is closed.
        A service's playback session opens only once the streams being closed are closed,
        so ytplay's own abandoned sessions never count against the service's limit."""
        with self.ahead.opening(uid):
            try:
                opened = await self._open_source(key, ref, uid)
            except RECOVERABLE as e:
                if self.connectivity.failed(e):  # the network, not the item: passed over
                    raise self.connectivity.refuse() from None
                raise
            else:
                o = self.leases.get(key)
                if o is not None and not isinstance(o.source, CachedSource):
                    self.connectivity.succeeded()
                return opened

    async def _open_source(self, key: str, ref: str,
                           uid: int | None) -> tuple[StreamInfo, str, bool]:
        if self.relay is not None and self.cache is not None and self.kind(ref) is not RefKind.FILE \
                and (entry := await self.cache.playable(ref)) is not None:
            return await self._open_cached(key, entry)
        if self.kind(ref) is not RefKind.FILE and not self.connectivity.may_try():
            raise self.connectivity.refuse()  # offline: nothing is asked of the network
        source = self._source(ref)
        if isinstance(source, ResolverSource):
            ahead = await self.ahead.take(uid)
        else:
            ahead = None
            await self._settled()
        if ahead is not None:
            info, stream = ahead
        else:
            opening = asyncio.ensure_future(source.open())
            try:
                info, stream = await asyncio.shield(opening)
            except asyncio.CancelledError:
                self._track_close(self._abandon(opening, source))
                raise
        o = OpenStream(key, info.title, source, stream, ref=ref)
        self.leases.add(o)
        if stream.hls and self.relay is not None:  # relayed playlist by playlist
            return info, await self._relay_url(key, hls=True), True
        if not stream.proxyable or self.relay is None:
            return info, stream.url, False
        if self.cache is not None:
            self.cache.hold(ref)  # what plays is never evicted
            o.held = True
            self.cache.describe(ref, ItemMeta(title=info.title, artist=info.artist,
                                              album=info.album, duration=info.duration,
                                              cover=info.cover))
        return info, await self._relay_url(key), True

    async def _relay_url(self, key: str, *, hls: bool = False) -> str:
        """The proxy's URL for stream `key`, the proxy started first if need be."""
        assert self.relay is not None
        try:
            await self.relay.start()
        except BaseException:
            self.close(key)
            raise
        return self.relay.url_for(key, hls=hls)

    async def _open_cached(self, key: str, entry: EntryInfo) -> tuple[StreamInfo, str, bool]:
        """Play a complete media cache entry through the proxy: nothing to resolve, no
        token, no lease (nothing expires)."""
        assert self.relay is not None and self.cache is not None
        meta = entry.meta
        info = StreamInfo(url=f"cache:{key}", title=meta.title or entry.ref, artist=meta.artist,
                          duration=meta.duration, album=meta.album, cover=meta.cover)
        self.leases.add(OpenStream(key, info.title, CachedSource(), Stream(info.url),
                                   ref=entry.ref, held=True), expires=False)
        self.cache.hold(entry.ref)
        return info, await self._relay_url(key), True

    def cached(self, ref: str) -> bool:
        """Whether `ref` is complete in the media cache (it plays from there)."""
        return self.cache is not None and self.cache.enabled \
            and self.cache.lookup(ref).state is CacheState.COMPLETE

    def plays_offline(self, ref: str) -> bool:
        """Whether `ref` plays with no network: complete in the media cache, or a local file."""
        return self.cached(ref) or self.kind(ref) is RefKind.FILE

    def ref_of(self, key: str) -> str | None:
        """The queue item stream `key` plays (the media cache's key for it)."""
        o = self.leases.get(key)
        return o.ref if o is not None else None

    @staticmethod
    async def _abandon(opening: "asyncio.Future[tuple[StreamInfo, Stream]]",
                       source: StreamSource) -> None:
        """The caller moved on while `source` opened: let it finish, then close it."""
        try:
            await opening
        except Exception:
            return  # it failed: nothing was opened (a source cleans up its own failure)
        await source.close()

    def _track_close(self, coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.ensure_future(coro)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _settled(self) -> None:
        """Until every stream being closed is closed."""
        if self._closing:
            await asyncio.wait(list(self._closing))

    def stream(self, key: str) -> Stream | None:
        o = self.leases.get(key)
        return o.stream if o is not None else None

    def degraded(self, key: str) -> str | None:
        o = self.leases.get(key)
        return o.degraded if o is not None else None

    def live(self, key: str) -> bool:
        """Whether `key` is a live stream (the relay read its playlist, which has no end)."""
        o = self.leases.get(key)
        return o is not None and o.live

    def live_url(self, key: str) -> str | None:
        """The URL to load `key` afresh at its live edge, when it is a live stream."""
        o = self.leases.get(key)
        if o is None or not o.live or self.relay is None:
            return None
        return self.relay.url_for(key, hls=True)

    def set_position(self, key: str, position: float | None) -> None:
        o = self.leases.get(key)
        if o is not None and position is not None:
            o.position = position
            o.played = True

    async def refresh(self, key: str, rejected_url: str | None = None,
                      reason: str = "expiring soon") -> Stream:
        """A fresh stream for `key`, single-flight (`StreamLeases.refresh`)."""
        return await self.leases.refresh(key, rejected_url, reason)

    def close(self, key: str) -> None:
        o = self.leases.remove(key)
        if o is None:
            return
        if self.cache is not None and o.ref is not None and o.held:
            self.cache.release(o.ref)
        self._track_close(o.source.close())

    # --- the proxy's side (proxy.UpstreamProvider), answered by the streams' leases -------

    def upstream(self, key: str) -> Upstream | None:
        return self.leases.upstream(key)

    def name(self, key: str) -> str:
        return self.leases.name(key)

    def answered(self, url: str, headers: Mapping[str, str]) -> None:
        self.clocks.heard(url, headers)

    def clock_offset(self, url: str) -> float:
        return self.clocks.offset(url)

    async def renew(self, key: str, failed: Upstream, error: ServiceError) -> None:
        await self.leases.renew(key, failed, error)

    def playlist_read(self, key: str, expires_at: float | None, live: bool) -> None:
        self.leases.playlist_read(key, expires_at, live)

    def report_dead(self, key: str, reason: str) -> None:
        self.leases.report_dead(key, reason)

    # --- lifecycle ------------------------------------------------------------------------

    async def aclose(self) -> None:
        self.ahead.forget(set())
        for o in self.leases.drain():
            self._track_close(o.source.close())
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=3)
        self.scheduler.close()
        if self.relay is not None:
            await self.relay.stop()
        await self.http.aclose()
