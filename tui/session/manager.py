"""The session manager: every open stream and token as a lease, refreshed ahead of expiry
on one scheduler, refreshed on demand single-flight, retried by one policy, and served to
libmpv through the loopback proxy (docs/ARCHITECTURE.md, "Session manager")."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os.path
import random
import secrets
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterable, cast

from tui.core.clock import SystemClock
from tui.core.bus import EventBus
from tui.core.errors import GaveUp, LoginRequired, ResolveError, ServiceError
from tui.core.events import SessionEvent, StreamDegraded
from tui.core.expiry import clock_note
from tui.core.failures import FailureClass
from tui.core.leases import Lease, LeaseKind, LeaseState, RefreshRule
from tui.core.m3u import Entry
from tui.core.origins import allowed, origin
from tui.core.models import StreamInfo
from tui.core.ports import Resolver
from tui.core.redact import redact
from tui.core.refs import RefKind, parse_ref
from tui.core.retry import RetryBudget, RetryPolicy

from .connectivity import Connectivity
from .fallbacks import in_use, item_fault, next_fallback
from .leasebook import LeaseBook
from .media_cache import CacheState, EntryInfo, MediaCache
from .media_files import ItemMeta
from .oauth2 import BearerUrlSource, DeviceFlow, OAuth2Service, login_grant
from .oauth2_client import OAuth2Client
from .relay import Relay, Upstream
from .retrying import Retrier
from .scheduler import LeaseScheduler
from .service_client import SessionApiClient
from .sources import CachedSource, ResolverSource, ServiceSource, Stream, StreamSource
from .token_store import TokenStore
from .tokens import PasswordSource, TokenManager

if TYPE_CHECKING:
    # httpx is loaded with the first request, after the first frame (~50 ms)
    import httpx

log = logging.getLogger(__name__)
RECOVERABLE = (ServiceError, GaveUp, LoginRequired, ResolveError)
AHEAD_MARGIN = 30.0  # s; a stream resolved ahead is renewed (or not used) this close to expiry
STALE_BACKOFF_CAP = 300.0  # s between renewals of a lease that keeps arriving expired


def ahead_margin(lifetime: float) -> float:
    """How close to expiry a stream resolved ahead is renewed, or no longer used: short
    lifetimes get a share of themselves, so their pre-resolve is not wasted."""
    return min(AHEAD_MARGIN, 0.25 * max(0.0, lifetime))


def stale_delay(rule: RefreshRule, times: int) -> float:
    """The wait before renewing a lease that arrived already expired `times` times in a
    row (a server clock off ours, or a server that hands out dead leases): doubling."""
    return min(STALE_BACKOFF_CAP, rule.min_gap * 2 ** max(0, times - 1))


class LazyClient:
    """The session's `httpx.AsyncClient`, made on first use. Making one builds a TLS context
    from the CA bundle (~50 ms), which the first frame does not need: with --demo the first
    request is made once the UI is up. Everything but `aclose` is the client's own."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    @property
    def client(self) -> httpx.AsyncClient:
        import httpx  # loaded on first use: after the first frame

        if self._client is None:
            if self._closed:  # as httpx says of a closed client; none is made after the end
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0),
                                             follow_redirects=True)
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()


@dataclass
class _Service:
    client: SessionApiClient
    tokens: TokenManager
    bearer_origins: frozenset[str]    # where its bearer token may go with a media request
    catalogue: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass
class _Open:
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


class SessionManager:
    def __init__(self, resolver: Resolver, *, policy: RetryPolicy | None = None,
                 rule: RefreshRule | None = None, budget: RetryBudget | None = None,
                 token_store: TokenStore | None = None, device_id: str | None = None,
                 rng: random.Random | None = None, bus: EventBus | None = None) -> None:
        self.resolver = resolver
        self.policy = policy or RetryPolicy()
        self.rule = rule or RefreshRule()
        self.rng = rng or random.Random()
        self.bus = bus or EventBus()
        self.book = LeaseBook()
        self.scheduler = LeaseScheduler()
        self.retrier = Retrier(self.policy, budget or RetryBudget(SystemClock()), self.emit,
                               self.rng)
        # Renewals ahead of expiry, successful ones too, share one rate limit: whatever a
        # server says about lifetimes, ytplay cannot be made to renew in a loop.
        self.refresh_limit = RetryBudget(SystemClock(), capacity=30.0, per_second=0.5)
        self.token_store = token_store
        self.device_id = device_id or secrets.token_hex(8)
        # The one HTTP client, made on the first request: see LazyClient.
        self.http = cast("httpx.AsyncClient", LazyClient())
        # The loopback proxy, joined by the composition root; without one, every stream
        # is handed to libmpv directly.
        self.relay: Relay | None = None
        # The media cache, joined by the composition root: a complete entry plays from it
        # with no resolve, no token and no network.
        self.cache: MediaCache | None = None
        # Whether the network may be (--offline) and can be reached: what is not cached is
        # passed over while it cannot (tui/session/connectivity.py).
        self.connectivity = Connectivity()
        self.services: dict[str, _Service] = {}
        # OAuth2 services: their bearer goes with plain URLs under their media origins.
        self.oauth2: dict[str, OAuth2Service] = {}
        self._open: dict[str, _Open] = {}
        # Streams being closed; a new playback session waits for them (the stream limit).
        self._closing: set[asyncio.Future[None]] = set()
        # Pre-resolved streams for items that will play soon, by queue item uid, and the
        # uids whose open is under way (taken from there, or not): not resolved again.
        self._ahead: dict[int, asyncio.Future[tuple[StreamInfo, Stream]]] = {}
        self._opening: set[int] = set()

    # --- services -------------------------------------------------------------------------

    def add_service(self, name: str, base_url: str, *, client_id: str, username: str,
                    password: PasswordSource, token_store: TokenStore | None = None,
                    media_origins: Iterable[str] = ()) -> None:
        """`media_origins`: besides the service's own origin, where its media may be
        fetched with its bearer token."""
        store = token_store or self.token_store
        if store is None:
            raise ValueError("a service needs a token store")
        client = SessionApiClient(
            base_url, client_id, self.http,
            warn=lambda text: self.emit(SessionEvent(f"service · {name}", "odd answer",
                                                     error=text)))
        tokens = TokenManager(name, client, store, username=username, password=password,
                              scheduler=self.scheduler, retrier=self.retrier, book=self.book,
                              rule=self.rule, rng=self.rng, limit=self.refresh_limit)
        origins = frozenset(origin(u) for u in (base_url, *media_origins))
        self.services[name] = _Service(client, tokens, origins)

    def add_oauth2_service(self, name: str, *, token_url: str, client_id: str,
                           media_origins: Iterable[str], grant: str,
                           secret_env: str | None = None, scopes: Iterable[str] = (),
                           device_url: str | None = None, username: str = "",
                           password: PasswordSource | None = None,
                           seed: Callable[[], str | None] = lambda: None,
                           device: DeviceFlow | None = None,
                           token_store: TokenStore | None = None) -> None:
        """A standard OAuth 2.0 server's service (tui/session/oauth2.py): URLs under
        `media_origins` get its bearer token, no other URL ever does."""
        store = token_store or self.token_store
        if store is None:
            raise ValueError("a service needs a token store")
        client = OAuth2Client(
            token_url, self.http, client_id=client_id, secret_env=secret_env,
            scopes=scopes, device_url=device_url,
            warn=lambda text: self.emit(SessionEvent(f"service · {name}", "odd answer",
                                                     error=text)))

        async def no_password() -> str | None:
            return None
        tokens = TokenManager(name, client, store, username=username,
                              password=password or no_password, scheduler=self.scheduler,
                              retrier=self.retrier, book=self.book, rule=self.rule,
                              rng=self.rng, limit=self.refresh_limit,
                              login=login_grant(name, client, grant, self.retrier, seed=seed,
                                                device=device))
        self.oauth2[name] = OAuth2Service(name, client, tokens,
                                          frozenset(origin(u) for u in media_origins))

    def _oauth2_for(self, url: str) -> OAuth2Service | None:
        return next((s for s in self.oauth2.values() if s.covers(url)), None)

    def behind_oauth2(self, ref: str) -> bool:
        """Whether `ref` is a URL an OAuth2 service covers: only its bearer opens it, so
        yt-dlp (which has none) is not asked about it."""
        return self._oauth2_for(ref) is not None

    def remove_services(self, names: set[str]) -> None:
        """Forget services; what is playing from one plays on until it ends."""
        for name in names:
            self.services.pop(name, None)
            self.oauth2.pop(name, None)

    def reconfigure(self, policy: RetryPolicy, rule: RefreshRule, budget: RetryBudget) -> None:
        """New retry policy, refresh rule and budget, from now on."""
        self.policy = self.retrier.policy = policy
        self.retrier.budget = budget
        self.rule = rule
        for svc in [*self.services.values(), *self.oauth2.values()]:
            svc.tokens.rule = rule

    async def search_libraries(self, query: str) -> list[Entry]:
        """Items of every service's library whose title or artist contains `query`."""
        if self.connectivity.forced:
            raise self.connectivity.refuse()
        needle = query.casefold().strip()
        found: list[Entry] = []
        for name, svc in list(self.services.items()):
            if not svc.catalogue:
                items = await svc.tokens.authorized(f"library · {name}", svc.client.library)
                svc.catalogue.update({str(i["id"]): i for i in items})
            for media_id, item in svc.catalogue.items():
                title, artist = str(item.get("title") or ""), str(item.get("artist") or "")
                if needle in f"{title}\n{artist}".casefold():
                    duration = item.get("duration")
                    found.append(Entry(f"{name}:{media_id}", title or None, artist or None,
                                       float(duration) if isinstance(duration, (int, float)) else None))
        return found

    async def search_web(self, query: str, limit: int = 10) -> list[Entry]:
        """yt-dlp's YouTube search (`ytsearch`), where the network allows."""
        if self.connectivity.forced:
            raise self.connectivity.refuse()
        return await self.resolver.expand(f"ytsearch{limit}:{query}")

    # --- events ---------------------------------------------------------------------------

    def emit(self, event: SessionEvent) -> None:
        log.info("%s", event.text)
        self.bus.publish(event)

    # --- streams --------------------------------------------------------------------------

    def kind(self, ref: str) -> RefKind:
        return parse_ref(ref, frozenset(self.services), os.path.exists).kind

    def _source(self, ref: str) -> StreamSource:
        parsed = parse_ref(ref, frozenset(self.services), os.path.exists)
        if parsed.kind is RefKind.SERVICE:
            assert parsed.service is not None and parsed.media_id is not None
            svc = self.services[parsed.service]
            return ServiceSource(parsed.service, svc.client, svc.tokens, parsed.media_id,
                                 self.device_id, svc.catalogue, svc.bearer_origins)
        if parsed.kind is RefKind.URL and (bearer := self._oauth2_for(parsed.text)) is not None:
            return BearerUrlSource(bearer, parsed.text)
        return ResolverSource(self.resolver, parsed.text, self.retrier)

    def look_ahead(self, coming: Iterable[tuple[int, str]]) -> None:
        """Keep streams resolved in the background for the items coming up, `(uid, ref)`,
        so that playing one later skips yt-dlp; drop those of items no longer coming."""
        coming = list(coming)
        self.forget_ahead({uid for uid, _ref in coming})
        for uid, ref in coming:
            self._resolve_ahead(uid, ref)

    def _resolve_ahead(self, uid: int, ref: str) -> None:
        # Only yt-dlp references: a service's playback session counts against its limit.
        if uid in self._ahead or uid in self._opening or self.kind(ref) is not RefKind.URL \
                or self._oauth2_for(ref) is not None \
                or self.cached(ref) or not self.connectivity.may_try():
            return
        future = asyncio.ensure_future(ResolverSource(self.resolver, ref, self.retrier).open())
        self._ahead[uid] = future

        def done(f: asyncio.Future[tuple[StreamInfo, Stream]]) -> None:
            if f.cancelled() or f.exception() is not None:
                self._ahead.pop(uid, None)
                return
            if self._ahead.get(uid) is f:
                info, stream = f.result()
                self.book.put(f"ahead:{uid}", Lease(LeaseKind.STREAM_URL, f"next: {info.title}",
                                                    stream.expires_at))
                if stream.expires_at is not None:
                    # Still coming up when it would expire? Resolve it again before then,
                    # and never sooner than the floor: a short or already-passed expiry
                    # must not turn into yt-dlp running every second.
                    lifetime = stream.expires_at - stream.issued_at
                    left = stream.expires_at - time.time()
                    delay = max(self.rule.gap(lifetime), left - ahead_margin(lifetime))
                    self.scheduler.schedule(f"ahead:{uid}", self.scheduler.now() + delay,
                                            lambda: self._renew_ahead(uid, ref))
        future.add_done_callback(done)

    def _renew_ahead(self, uid: int, ref: str) -> None:
        if uid in self._ahead:
            self._ahead.pop(uid).cancel()
            self._resolve_ahead(uid, ref)

    def forget_ahead(self, keep: set[int]) -> None:
        """Drop pre-resolved streams of items no longer coming up (removed, moved away)."""
        for uid in [u for u in self._ahead if u not in keep]:
            self._ahead.pop(uid).cancel()
            self.scheduler.cancel(f"ahead:{uid}")
            self.book.drop(f"ahead:{uid}")

    async def _take_ahead(self, uid: int | None) -> tuple[StreamInfo, Stream] | None:
        """The stream resolved ahead for `uid`: waited for if still under way (resolving
        again would only do the same work twice), None if there is none or it failed."""
        future = self._ahead.pop(uid, None) if uid is not None else None
        self.book.drop(f"ahead:{uid}")
        self.scheduler.cancel(f"ahead:{uid}")
        if future is None:
            return None
        try:
            info, stream = await future
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future.cancelled() and not (task is not None and task.cancelling()):
                return None  # the pre-resolve was called off, not the caller
            raise
        except Exception:
            return None
        # Still good for a while? Otherwise resolving afresh is the safer bet.
        if stream.expires_at is not None:
            left = stream.expires_at - time.time()
            if left < max(2.0, ahead_margin(stream.expires_at - stream.issued_at)):
                return None
        return info, stream

    async def open(self, key: str, ref: str, uid: int | None = None) -> tuple[StreamInfo, str, bool]:
        """Acquire a stream for `ref`; returns its metadata, the URL to give the player and
        whether that URL is the proxy's. A stream resolved ahead for item `uid` is used
        without asking yt-dlp again.

        Cancelling the caller cleans up: whatever the source opened meanwhile is closed.
        A service's playback session opens only once the streams being closed are closed,
        so ytplay's own abandoned sessions never count against the service's limit."""
        if uid is not None:
            self._opening.add(uid)
        try:
            opened = await self._open_source(key, ref, uid)
        except RECOVERABLE as e:
            if self.connectivity.failed(e):  # the network, not the item: passed over
                raise self.connectivity.refuse() from None
            raise
        else:
            o = self._open.get(key)
            if o is not None and not isinstance(o.source, CachedSource):
                self.connectivity.succeeded()
            return opened
        finally:
            if uid is not None:
                self._opening.discard(uid)

    async def _open_source(self, key: str, ref: str,
                           uid: int | None) -> tuple[StreamInfo, str, bool]:
        if self.relay is not None and self.cache is not None and self.kind(ref) is not RefKind.FILE \
                and (entry := await self.cache.playable(ref)) is not None:
            return await self._open_cached(key, entry)
        if self.kind(ref) is not RefKind.FILE and not self.connectivity.may_try():
            raise self.connectivity.refuse()  # offline: nothing is asked of the network
        source = self._source(ref)
        if isinstance(source, ResolverSource):
            ahead = await self._take_ahead(uid)
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
        o = _Open(key, info.title, source, stream, ref=ref)
        self._open[key] = o
        self._show(o)
        self._schedule(o)
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
        self._open[key] = _Open(key, info.title, CachedSource(), Stream(info.url), ref=entry.ref,
                                held=True)
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
        o = self._open.get(key)
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
        o = self._open.get(key)
        return o.stream if o is not None else None

    def degraded(self, key: str) -> str | None:
        o = self._open.get(key)
        return o.degraded if o is not None else None

    # --- the proxy's side (relay.UpstreamProvider) ----------------------------------------

    def upstream(self, key: str) -> Upstream | None:
        o = self._open.get(key)
        if o is None:
            return None
        headers, token = dict(o.stream.headers), None
        tokens = o.source.tokens
        if tokens is not None and tokens.access and allowed(o.stream.url, o.source.bearer_origins):
            token = tokens.access
            headers["Authorization"] = f"Bearer {token}"
        return Upstream(o.stream.url, headers, token)

    async def renew(self, key: str, failed: Upstream, error: ServiceError) -> None:
        o = self._open.get(key)
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
            await self.refresh(key, rejected_url=failed.url,
                               reason=f"upstream {redact(str(error))}")

    async def _fall_back(self, o: _Open, failed: Upstream) -> None:
        """A fresh yt-dlp URL refused (403) before anything played: that way of resolving
        does not work for it (a player client, a format), so it is resolved once with the
        next `[ytdlp] fallbacks`; when they are used up, the item itself has failed."""
        if o.stream.url != failed.url:
            return  # another request has moved it on already
        if o.refreshing is None:
            o.refreshing = asyncio.ensure_future(self._next_fallback(o))
            o.refreshing.add_done_callback(lambda f: self._refreshed(o, f))
        await asyncio.shield(o.refreshing)

    async def _next_fallback(self, o: _Open) -> Stream:
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
        o = self._open.get(key)
        if o is None:
            return
        o.live = live
        if expires_at is None or (o.stream.expires_at is not None
                                  and o.stream.expires_at <= expires_at):
            return
        o.stream = dataclasses.replace(o.stream, expires_at=expires_at)
        self._show(o)
        self._schedule(o)

    def live_url(self, key: str) -> str | None:
        """The URL to load `key` afresh at its live edge, when it is a live stream."""
        o = self._open.get(key)
        if o is None or not o.live or self.relay is None:
            return None
        return self.relay.url_for(key, hls=True)

    def report_dead(self, key: str, reason: str) -> None:
        """Nothing valid is left for `key` (the proxy ran out of ways to reach upstream)."""
        o = self._open.get(key)
        if o is not None:
            o.degraded = reason
            self.book.update(f"url:{key}", state=LeaseState.FAILED, last_error=reason)
            self.bus.publish(StreamDegraded(key, reason, item_fault=o.item_fault))

    def set_position(self, key: str, position: float | None) -> None:
        o = self._open.get(key)
        if o is not None and position is not None:
            o.position = position
            o.played = True

    def close(self, key: str) -> None:
        o = self._open.pop(key, None)
        if o is None:
            return
        if self.cache is not None and o.ref is not None and o.held:
            self.cache.release(o.ref)
        self.scheduler.cancel(f"stream:{key}")
        self.book.drop(f"url:{key}")
        self.book.drop(f"session:{key}")
        self._track_close(o.source.close())

    async def refresh(self, key: str, rejected_url: str | None = None,
                      reason: str = "expiring soon") -> Stream:
        """A fresh stream for `key`, single-flight. With `rejected_url`, the caller saw that
        URL fail; when the stream has moved on since, the newer one is returned at once."""
        o = self._open.get(key)
        if o is None:
            raise GaveUp("the stream was closed")
        if rejected_url is not None and o.stream.url != rejected_url and o.degraded is None:
            return o.stream
        if o.refreshing is None:
            o.refreshing = asyncio.ensure_future(self._refresh(o, rejected_url, reason))
            o.refreshing.add_done_callback(lambda f: self._refreshed(o, f))
        return await asyncio.shield(o.refreshing)

    @staticmethod
    def _refreshed(o: _Open, future: asyncio.Future[Stream]) -> None:
        o.refreshing = None
        if not future.cancelled():
            future.exception()  # the awaiting callers receive it

    async def _refresh(self, o: _Open, rejected_url: str | None, reason: str) -> Stream:
        lease_key, resource = f"url:{o.key}", f"stream URL · {o.label}"
        self.book.update(lease_key, state=LeaseState.REFRESHING, last_error=None)
        self.emit(SessionEvent(resource, f"refreshing ({reason})"))

        def retrying(attempt: int, delay: float, error: str) -> None:
            self.book.update(lease_key, state=LeaseState.RETRYING, attempt=attempt,
                             attempts=self.policy.attempts, next_retry_at=time.time() + delay,
                             last_error=error)
        try:
            stream = await o.source.refresh(o.position, retrying)
        except RECOVERABLE as e:
            self._degrade(o, rejected_url, redact(str(e)))
            raise
        if o.key not in self._open:
            return stream  # closed while refreshing
        o.stream, o.degraded = stream, None
        self._show(o)
        self.emit(SessionEvent(resource, "refreshed"))
        self._schedule(o)
        return stream

    def _degrade(self, o: _Open, rejected_url: str | None, error: str) -> None:
        """A refresh failed. While the current URL is still good, keep using it and try
        again later; when nothing valid is left, say so (the player pauses)."""
        lease_key, resource = f"url:{o.key}", f"stream URL · {o.label}"
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
        self.report_dead(o.key, error)

    def _schedule(self, o: _Open) -> None:
        now_wall, now = time.time(), self.scheduler.now()
        deadlines: list[float] = []
        expires_at = o.stream.expires_at
        o.stale = o.stale + 1 if expires_at is not None and expires_at <= now_wall else 0
        if o.stale:
            deadlines.append(now + stale_delay(self.rule, o.stale))
        elif expires_at is not None:
            issued = now - (now_wall - o.stream.issued_at)
            expires = now + (expires_at - now_wall)
            deadlines.append(self.rule.refresh_at(issued, expires, self.rng.random()))
        if o.source.heartbeat_interval:
            deadlines.append(now + max(o.source.heartbeat_interval, self.rule.min_gap))
        if deadlines:
            self.scheduler.schedule(f"stream:{o.key}", min(deadlines),
                                    lambda: self._refresh_ahead(o.key))

    def _refresh_ahead(self, key: str) -> None:
        if key not in self._open:
            return
        if not self.refresh_limit.try_spend():
            wait = 1.0 / self.refresh_limit.per_second
            self.book.update(f"url:{key}", last_error="renewals rate-limited")
            self.scheduler.schedule(f"stream:{key}", self.scheduler.now() + wait,
                                    lambda: self._refresh_ahead(key))
            return
        task = asyncio.ensure_future(self.refresh(key))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _show(self, o: _Open) -> None:
        note = clock_note(o.source.clock_offset)
        if o.stream.expires_at is not None and o.stream.expires_at <= time.time():
            note = note or "arrived already expired"
        self.book.put(f"url:{o.key}", Lease(LeaseKind.STREAM_URL, o.label, o.stream.expires_at,
                                            last_error=note))
        if o.source.heartbeat_interval:
            self.book.put(f"session:{o.key}",
                          Lease(LeaseKind.PLAYBACK_SESSION, o.label,
                                time.time() + 3 * o.source.heartbeat_interval))

    # --- lifecycle ------------------------------------------------------------------------

    async def aclose(self) -> None:
        self.forget_ahead(set())
        for key in list(self._open):
            o = self._open.pop(key)
            self._track_close(o.source.close())
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=3)
        self.scheduler.close()
        if self.relay is not None:
            await self.relay.stop()
        await self.http.aclose()
