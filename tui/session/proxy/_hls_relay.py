"""HLS through the loopback proxy (docs/ARCHITECTURE.md, "HLS through the proxy").

libmpv is given `http://127.0.0.1:<port>/<secret>/<key>/index.m3u8`: the stream's media
playlist, fetched upstream through the session manager's *current* URL (a master playlist's
variant is chosen here), with every segment renamed `<seq>.<ext>` — a name that stays the
same while its signed upstream URL changes. A segment request is relayed to the freshest
URL known for that sequence number: the playlist is fetched again when the stream was
refreshed since, or when the segment's URL is about to expire. A segment refused anyway
(403/410) renews the stream through the manager (a re-resolve, shown like every refresh),
and the same segment is fetched again from the new playlist, so libmpv sees a slow read at
the same place. A live segment that left the window meanwhile is answered 404: libmpv then
skips to the window, which the relayed playlist keeps at the live edge.

A playlist is read up to MAX_PLAYLIST_BYTES and parsed on a worker thread (this is the
UI's loop). Segments are relayed whole (they are seconds long: MAX_SEGMENT_BYTES at
most); the session manager is told when the segment URLs expire, so its one refresh
schedule renews the stream before they do, and whether the stream is live (a paused live stream resumes at its live edge: `Playback`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable

from tui.core.errors import ServiceError
from tui.core.events import SessionEvent
from tui.core.expiry import parse_url_expiry
from tui.core.failures import Failure, FailureClass
from tui.core.hls import (MediaPlaylist, PlaylistError, Segment, Variant, choose_variant,
                          expiry, for_player, is_master, parse_master, parse_media)
from tui.core.origins import origin
from tui.session.services import failure_of, network_failure, read_capped

from ._ports import Upstream, UpstreamProvider

if TYPE_CHECKING:
    import httpx

# A segment URL with less life than this left is not used: the playlist is fetched again.
EXPIRY_MARGIN = 1.5  # s
MAX_PLAYLIST_BYTES = 16 << 20
# Segments are seconds long: 10 s of 4K at 50 Mbit/s is about 60 MiB.
MAX_SEGMENT_BYTES = 128 << 20
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"

# Makes the next attempt worth making after `error` on `failed`, the `n`th failure in a
# row (the one before it of the class given, None for the first), or raises to stop (the
# proxy's own recovery: renew, back off, or give up).
Recover = Callable[[str, Upstream, ServiceError, int, "FailureClass | None"], Awaitable[None]]


class SegmentGone(Exception):
    """The segment is not in the stream (any more): libmpv is answered 404."""


@dataclass(frozen=True)
class _Loaded:
    upstream: Upstream       # the stream's upstream it was fetched through
    playlist: MediaPlaylist


def _headers_for(url: str, upstream: Upstream) -> dict[str, str]:
    """The stream's headers, less its bearer token where `url` is another origin."""
    headers = dict(upstream.headers)
    if upstream.token is not None and origin(url) != origin(upstream.url):
        headers.pop("Authorization", None)
    return headers


class HlsRelay:
    def __init__(self, provider: UpstreamProvider, http: httpx.AsyncClient,
                 recover: Recover) -> None:
        self.provider = provider
        self.http = http
        self.recover = recover
        self._loaded: dict[str, _Loaded] = {}
        self._loading: dict[str, asyncio.Future[_Loaded]] = {}

    async def playlist(self, key: str) -> str:
        """The media playlist for libmpv, fetched afresh (a live one grows)."""
        loaded = await self._load(key)
        return await asyncio.to_thread(for_player, loaded.playlist,
                                       lambda s: f"{s.seq}.{s.extension}")

    async def segment(self, key: str, seq: int) -> tuple[bytes, str]:
        """Segment `seq`'s bytes and content type, from the freshest URL; raises
        SegmentGone."""
        failures = 0
        previous: FailureClass | None = None
        while True:
            loaded = await self._current(key, seq)
            segment = loaded.playlist.segment(seq)
            if segment is None:
                raise self._gone(key, loaded.playlist, seq)
            try:
                answer = await self._fetch_segment(segment, loaded.upstream)
            except ServiceError as error:
                failures += 1
                # Renew what the playlist came from, then fetch the playlist again.
                await self.recover(key, loaded.upstream, error, failures, previous)
                previous = error.failure_class
                self._drop(key, loaded)
                continue
            if failures:
                self.provider.emit(SessionEvent(f"stream · {self.provider.name(key)}",
                                                f"recovered at segment {seq}"))
            return answer

    # --- the playlist -----------------------------------------------------------------

    async def _current(self, key: str, seq: int) -> _Loaded:
        """The playlist to find segment `seq` in: fetched again when the stream moved on
        or the segment's URL is about to expire."""
        upstream = self.provider.upstream(key)
        loaded = self._loaded.get(key)
        if upstream is None:  # closed: forget its playlist
            self._loaded.pop(key, None)
            raise SegmentGone("the stream was closed")
        if loaded is None or loaded.upstream.url != upstream.url:
            return await self._load(key)
        segment = loaded.playlist.segment(seq)
        expires = self._expiry(segment.uri) if segment is not None else None
        if expires is not None and expires - time.time() < EXPIRY_MARGIN:
            return await self._load(key)
        if segment is None and loaded.playlist.live:
            return await self._load(key)  # newer than the playlist held? Look again
        return loaded

    def _expiry(self, uri: str) -> float | None:
        """When `uri` expires on our clock: it says so on its origin's."""
        expires = parse_url_expiry(uri)
        return None if expires is None else expires - self.provider.clock_offset(uri)

    def _drop(self, key: str, loaded: _Loaded) -> None:
        if self._loaded.get(key) is loaded:
            del self._loaded[key]

    async def _load(self, key: str) -> _Loaded:
        """Fetch the playlist, single-flight: concurrent callers share one fetch."""
        future = self._loading.get(key)
        if future is None:
            future = asyncio.ensure_future(self._fetch_playlist(key))
            self._loading[key] = future
            future.add_done_callback(lambda f: self._loading.pop(key, None))
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
        return await asyncio.shield(future)

    async def _fetch_playlist(self, key: str) -> _Loaded:
        failures = 0
        previous: FailureClass | None = None
        while True:
            upstream = self.provider.upstream(key)
            if upstream is None:
                raise SegmentGone("the stream was closed")
            try:
                playlist, expires_at = await self._media_playlist(upstream)
            except ServiceError as error:
                failures += 1
                await self.recover(key, upstream, error, failures, previous)
                previous = error.failure_class
                continue
            loaded = _Loaded(upstream, playlist)
            self._loaded[key] = loaded
            self.provider.playlist_read(key, expires_at, playlist.live)
            return loaded

    async def _media_playlist(self, upstream: Upstream) -> tuple[MediaPlaylist, float | None]:
        """The media playlist and when its segment URLs expire. Read on a worker thread: a
        long VOD's playlist takes 10-100 ms to parse, a hostile one seconds, and this is
        the UI's loop."""
        try:
            body, url = await self._get_playlist(upstream.url, dict(upstream.headers))
            read = await asyncio.to_thread(_read, body, url)
            if isinstance(read, list):  # a master playlist: its variant's media playlist
                variant = choose_variant(read)
                body, url = await self._get_playlist(variant.uri,
                                                       _headers_for(variant.uri, upstream))
                read = await asyncio.to_thread(_read, body, url)
                if isinstance(read, list):
                    raise PlaylistError("a master playlist whose variant is a master playlist")
            playlist, expires = read
            if expires is not None and playlist.segments:  # on the segments' origin's clock
                expires -= self.provider.clock_offset(playlist.segments[0].uri)
            return playlist, expires
        except PlaylistError as e:
            raise ServiceError(f"the HLS playlist cannot be relayed: {e}",
                               Failure(400)) from None

    async def _get(self, url: str, headers: dict[str, str], *, limit: int,
                   what: str) -> tuple[bytes, httpx.Response]:
        """The body at `url`, at most `limit` bytes of it (a hostile server's endless one
        is not read on: it would be held in memory), and the response it came with."""
        import httpx  # loaded on first use: after the first frame

        try:
            async with self.http.stream("GET", url, headers=headers) as response:
                self.provider.answered(str(response.url), response.headers)
                if response.status_code >= 400:
                    raise await failure_of(response, signed_url=True)
                body = await read_capped(response, limit)
        except httpx.TransportError as e:
            raise ServiceError(f"{type(e).__name__} fetching {what}",
                               network_failure(e)) from None
        if body is None:
            raise ServiceError(f"{what} is larger than {limit >> 20} MiB; it cannot be "
                               "relayed", Failure(400))
        return body, response

    async def _get_playlist(self, url: str, headers: dict[str, str]) -> tuple[bytes, str]:
        body, response = await self._get(url, headers, limit=MAX_PLAYLIST_BYTES,
                                         what="the HLS playlist")
        return body, str(response.url)

    # --- segments ---------------------------------------------------------------------

    async def _fetch_segment(self, segment: Segment, upstream: Upstream) -> tuple[bytes, str]:
        headers = _headers_for(segment.uri, upstream)
        if segment.byterange is not None:
            offset, length = segment.byterange
            headers["Range"] = f"bytes={offset}-{offset + length - 1}"
        body, response = await self._get(segment.uri, headers, limit=MAX_SEGMENT_BYTES,
                                         what="a segment")
        return body, response.headers.get("Content-Type", "video/mp2t")

    def _gone(self, key: str, playlist: MediaPlaylist, seq: int) -> SegmentGone:
        first = playlist.segments[0].seq if playlist.segments else 0
        if playlist.live and seq < first:
            self.provider.emit(SessionEvent(f"stream · {self.provider.name(key)}",
                                            f"segment {seq} left the live window; "
                                            "on at the live edge"))
        return SegmentGone(f"no segment {seq}")


def _read(body: bytes, url: str) -> list[Variant] | tuple[MediaPlaylist, float | None]:
    """A master playlist's variants; or a media playlist and when its segment URLs expire."""
    text = body.decode("utf-8", "replace")  # UTF-8 (RFC 8216, 4.1)
    if is_master(text):
        return parse_master(text, url)
    playlist = parse_media(text, url)
    return playlist, expiry(playlist, parse_url_expiry)
