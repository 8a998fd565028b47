"""Where a queue item's stream comes from, and how to get a fresh one: yt-dlp again, or the
service's heartbeat (which hands out a new signed URL) and, when the session was reaped, a
new session."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, cast
from urllib.parse import urljoin, urlsplit

from tui.core.errors import GaveUp, ResolveError, ServiceError
from tui.core.extraction import ExtractionError
from tui.core.failures import Failure, FailureClass, Network
from tui.core.models import StreamInfo
from tui.core.ports import FallbackResolver, Resolver
from tui.session.leases import Retrier
from tui.session.services import SessionApiClient, StreamGrant, TokenManager

from ._origin_clocks import OriginClocks

# Told of each retry under way: (attempt, delay in s, redacted error).
OnRetry = Callable[[int, float, str], None]

_MANIFESTS = (".m3u8", ".mpd", ".m3u", ".f4m", ".ism")


@dataclass(frozen=True)
class Stream:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    expires_at: float | None = None    # wall clock, ours
    issued_at: float = field(default_factory=time.time)
    # An expiry read from the URL itself (yt-dlp's `expire=`) is on its origin's clock:
    # the offset of that clock already taken off it, so that it can be moved again when
    # the origin's clock is learnt anew (`on_clock`). None where the source put the expiry
    # on our clock itself (a service's, by its client's reading of `Date`).
    origin_offset: float | None = None

    def on_clock(self, offset: float) -> Stream:
        """This stream with its expiry moved by a new reading of its origin's clock."""
        if self.origin_offset is None:
            return self
        # With no expiry yet (an HLS playlist's comes with its segments, read on this
        # clock), the reading is kept all the same: a later move is measured from it.
        expires = None if self.expires_at is None else \
            self.expires_at + self.origin_offset - offset
        return dataclasses.replace(self, origin_offset=offset, expires_at=expires)

    @property
    def proxyable(self) -> bool:
        """Plain HTTP(S) media the proxy can relay byte for byte; HLS is relayed by its own
        rules (`hls`); other manifests (DASH) and local files are played directly and
        recovered by reloading at the position."""
        parts = urlsplit(self.url)
        return parts.scheme in ("http", "https") and not parts.path.lower().endswith(_MANIFESTS)

    @property
    def hls(self) -> bool:
        """An HLS playlist: the proxy relays it playlist by playlist, segment by segment
        (tui/session/proxy/_hls_relay.py)."""
        parts = urlsplit(self.url)
        return parts.scheme in ("http", "https") and parts.path.lower().endswith(".m3u8")


class StreamSource(Protocol):
    tokens: TokenManager | None          # set when stream requests carry the bearer token
    heartbeat_interval: float | None
    bearer_origins: frozenset[str]       # the only origins the bearer token may go to

    @property
    def clock_offset(self) -> float:
        """How far the origin's clock is ahead of ours, where known (else 0)."""

    async def open(self) -> tuple[StreamInfo, Stream]: ...

    async def refresh(self, position: float, on_retry: OnRetry | None, name: str) -> Stream:
        """A fresh stream, transient failures retried here (and only here); `name`: what
        the Retry log calls the stream (its title)."""

    async def close(self) -> None: ...


class ResolverSource:
    tokens = None
    heartbeat_interval = None
    bearer_origins: frozenset[str] = frozenset()
    clock_offset = 0.0  # its streams carry their origin's (Stream.origin_offset)

    def __init__(self, resolver: Resolver, ref: str, retrier: Retrier,
                 clocks: OriginClocks) -> None:
        self.resolver = resolver
        self.ref = ref
        self.retrier = retrier
        self.clocks = clocks
        self.fallback = 0   # the [ytdlp] fallback resolving with now (0: the options)

    def _stream(self, info: StreamInfo) -> Stream:
        """The resolved stream, its expiry (`expire=`, on its origin's clock) moved onto
        ours by what that origin's answers have said of its clock."""
        offset = self.clocks.offset(info.url)
        expires = None if info.expires_at is None else info.expires_at - offset
        return Stream(info.url, dict(info.headers), expires, origin_offset=offset)

    @property
    def fallbacks(self) -> list[str]:
        """The resolver's fallbacks in words; none when it has none (a fake, a service)."""
        return list(getattr(self.resolver, "fallbacks", []))

    async def _resolve(self) -> StreamInfo:
        if self.fallback:
            return await cast(FallbackResolver, self.resolver).resolve_with(self.ref,
                                                                            self.fallback)
        return await self.resolver.resolve(self.ref)

    async def open(self) -> tuple[StreamInfo, Stream]:
        """Resolved, with failures of the network retried by the policy (not the item's
        own: those fail at once, docs/FAULTS.md "When yt-dlp fails")."""
        last: list[ExtractionError] = []

        async def once() -> StreamInfo:
            try:
                return await self._resolve()
            except ExtractionError as e:
                if not e.transient:
                    raise
                last[:] = [e]
                raise ServiceError(str(e), _failure(e)) from None
        try:
            info = await self.retrier.run(f"resolving · {self.ref}", once)
        except GaveUp:
            raise last[0] from None  # its class (and whether nothing answered) kept
        return info, self._stream(info)

    async def fall_back(self) -> tuple[Stream, str]:
        """The stream resolved with the next fallback, and that fallback in words; raises
        IndexError when they are used up."""
        labels = self.fallbacks
        if self.fallback >= len(labels):
            raise IndexError(self.fallback)
        self.fallback += 1
        return self._stream(await self._resolve()), labels[self.fallback - 1]

    async def refresh(self, position: float, on_retry: OnRetry | None, name: str) -> Stream:
        async def once() -> Stream:
            try:
                return self._stream(await self._resolve())
            except ResolveError as e:
                # It resolved before, so a failure now is most likely the network: transient.
                raise ServiceError(f"re-resolving failed: {e}", Failure()) from None
        return await self.retrier.run(f"stream URL · {name}", once, on_retry)

    async def close(self) -> None:
        return None


def _failure(error: ExtractionError) -> Failure:
    """A transient extraction failure as the retry policy's Failure: the network out of
    reach (which tells the session it is down), or the status the site answered."""
    if error.unreachable:
        return Failure(network=Network.UNREACHABLE)
    return Failure(status=error.status) if error.status else Failure(network=Network.READ)


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _image(base_url: str, value: object) -> str | None:
    """A library item's `image`, as a full web address (it may be relative)."""
    if not isinstance(value, str) or not value:
        return None
    url = urljoin(base_url + "/", value)
    return url if urlsplit(url).scheme in ("http", "https") else None


class ServiceSource:
    def __init__(self, service: str, client: SessionApiClient, tokens: TokenManager,
                 media_id: str, device_id: str, catalogue: dict[str, dict[str, object]],
                 bearer_origins: frozenset[str]) -> None:
        self.service = service
        self.client = client
        self.tokens = tokens
        self.media_id = media_id
        self.device_id = device_id
        self.catalogue = catalogue
        self.bearer_origins = bearer_origins
        self.session_id: str | None = None
        self.heartbeat_interval: float | None = None

    @property
    def clock_offset(self) -> float:
        return self.client.clock_offset

    def _stream(self, grant: StreamGrant) -> Stream:
        if grant.session_id:
            self.session_id = grant.session_id
        if grant.heartbeat_interval:
            self.heartbeat_interval = grant.heartbeat_interval
        return Stream(grant.url, {}, grant.expires_at)

    def _resource(self, name: str | None = None) -> str:
        """The playback session as the Retry log names it: by the item's title, by its
        reference while the library has not said the title."""
        meta = self.catalogue.get(self.media_id, {})
        return f"playback session · {name or meta.get('title') or self._ref}"

    @property
    def _ref(self) -> str:
        return f"{self.service}:{self.media_id}"

    async def _start(self, on_retry: OnRetry | None = None, name: str | None = None) -> Stream:
        grant = await self.tokens.authorized(
            self._resource(name),
            lambda t: self.client.start_session(t, self.media_id, self.device_id), on_retry)
        return self._stream(grant)

    async def open(self) -> tuple[StreamInfo, Stream]:
        self.tokens.acquire()
        try:
            if self.media_id not in self.catalogue:
                items = await self.tokens.authorized(f"library · {self.service}",
                                                     self.client.library)
                self.catalogue.update({str(i["id"]): i for i in items})
            stream = await self._start()
        except BaseException:
            self.tokens.release()
            raise
        meta = self.catalogue.get(self.media_id, {})
        duration = meta.get("duration")
        info = StreamInfo(url=stream.url, title=str(meta.get("title") or self._ref),
                          artist=str(meta["artist"]) if meta.get("artist") else None,
                          duration=float(duration) if isinstance(duration, (int, float)) else None,
                          expires_at=stream.expires_at, album=_text(meta.get("album")),
                          cover=_image(self.client.base_url, meta.get("image")))
        return info, stream

    async def refresh(self, position: float, on_retry: OnRetry | None, name: str) -> Stream:
        if self.session_id is None:
            return await self._start(on_retry, name)
        sid = self.session_id
        try:
            grant = await self.tokens.authorized(
                self._resource(name), lambda t: self.client.heartbeat(t, sid, position),
                on_retry)
        except ServiceError as e:
            if e.failure_class is not FailureClass.EXPIRED:
                raise
            # unknown_session: the server reaped it. Start a new one, once for this failure.
            self.session_id = None
            return await self._start(on_retry, name)
        return self._stream(grant)

    async def close(self) -> None:
        sid, self.session_id = self.session_id, None
        try:
            if sid is not None and self.tokens.access is not None:
                await self.client.stop_session(self.tokens.access, sid)
        except ServiceError:
            pass  # best effort: an unstopped session is reaped by the server
        finally:
            self.tokens.release()


class CachedSource:
    """A complete media cache entry: the proxy answers every request from the file, so
    there is nothing to resolve, no token, nothing that expires and nothing to refresh."""

    tokens = None
    heartbeat_interval = None
    bearer_origins: frozenset[str] = frozenset()
    clock_offset = 0.0

    async def open(self) -> tuple[StreamInfo, Stream]:
        raise ResolveError("a cached item is opened from its cache entry")

    async def refresh(self, position: float, on_retry: OnRetry | None, name: str) -> Stream:
        # Only asked when the cache could not answer (its file broke while playing): the
        # item is opened afresh, from the network, when it is played again.
        raise ServiceError("the cached copy could not be read", Failure(status=404))

    async def close(self) -> None:
        return None
