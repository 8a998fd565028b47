"""The loopback stream proxy (docs/ARCHITECTURE.md, "The loopback stream proxy").

libmpv plays `http://127.0.0.1:<port>/<secret>/<key>`; each of its requests is relayed
upstream with the stream's *current* URL and headers. When an upstream request fails
because the URL or token expired — before the body or in the middle of it — the proxy
refreshes and re-issues it from the byte it had reached, so libmpv sees a slow read, not an
error, and the position never jumps.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import TYPE_CHECKING

from tui.core.errors import GaveUp, LoginRequired, ResolveError, ServiceError
from tui.core.events import SessionEvent
from tui.core.exchange import Answer, Exchange
from tui.core.failures import Failure, FailureClass, Network
from tui.core.redact import redact
from tui.session.leases import Retrier
from tui.session.services import failure_of, network_failure

from ._hls_relay import PLAYLIST_TYPE, HlsRelay, SegmentGone
from ._hosts import host_and_port
from ._ports import Upstream, UpstreamProvider

if TYPE_CHECKING:
    import httpx

    from tui.session.cache import CacheTee

    from ._http_server import H11Exchange, HttpServer

log = logging.getLogger(__name__)

# 15 digits: a petabyte. Longer is not a byte offset but an attempt on int().
_RANGE = re.compile(r"^bytes=(\d{1,15})-(\d{0,15})$")
# /<secret>/<key>, its HLS playlist /<secret>/<key>/index.m3u8, a segment /<secret>/<key>/<n>.ts
_SEGMENT = re.compile(r"^(\d{1,15})\.[a-z0-9]{1,5}$")
_CONTENT_RANGE = re.compile(r"^bytes (\d{1,15})-\d{1,15}/(?:\d{1,15}|\*)$")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_PASS_HEADERS = ("Content-Type", "Accept-Ranges", "Last-Modified", "ETag")
CHUNK = 64 * 1024


def _body_start(up: httpx.Response, asked: int) -> int:
    """Where in the file the body of `up`, asked from byte `asked`, begins: 0 for a 200;
    for a 206, its Content-Range (`asked` without one), which cannot be after `asked`."""
    if up.status_code == 200:
        return 0
    m = _CONTENT_RANGE.match(up.headers.get("Content-Range", "").strip())
    if m is None:
        return asked
    if int(m.group(1)) > asked:
        raise ServiceError(f"upstream answered another range than bytes={asked}-",
                           Failure(up.status_code, "bad_answer"))
    return int(m.group(1))


class _Stop(Exception):
    """Relaying cannot go on; `status` goes to libmpv if nothing was sent yet."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class StreamProxy:
    def __init__(self, provider: UpstreamProvider, retrier: Retrier, http: httpx.AsyncClient,
                 *, max_streams: int = 10) -> None:
        self.provider = provider
        self.retrier = retrier
        self.http = http
        self.max_streams = max_streams
        self.idle_timeout = 15.0   # s a connection may sit with no request being answered
        self.secret = secrets.token_urlsafe(24)
        self.active = 0
        self._server: HttpServer | None = None
        self._starting: asyncio.Lock | None = None
        self.hls = HlsRelay(provider, http, self._recover)
        # The media cache's tee (joined by the composition root): what is relayed is kept,
        # what is kept is answered without upstream.
        self.tee: CacheTee | None = None

    @property
    def port(self) -> int:
        return 0 if self._server is None else self._server.port

    def url_for(self, key: str, *, hls: bool = False) -> str:
        base = f"http://127.0.0.1:{self.port}/{self.secret}/{key}"
        return f"{base}/index.m3u8" if hls else base  # libavformat wants the extension

    async def start(self) -> None:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._server is not None:
                return
            # On first start (the first stream it carries, after the first frame): h11 and
            # httpx are what the relay needs, and the first frame does not.
            from ._http_server import HttpServer

            server = HttpServer(self._handle, cap=4 * self.max_streams + 8,
                                idle=self.idle_timeout)
            await server.start("127.0.0.1", 0)
            self._server = server

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    # --- requests from libmpv -------------------------------------------------------------

    def _allowed(self, request: H11Exchange, secret: str) -> bool:
        # As bytes: compare_digest refuses non-ASCII str, and a path is the client's text.
        given = secret.encode("utf-8", "surrogateescape")
        if not secrets.compare_digest(given, self.secret.encode()):
            return False
        name, port = host_and_port(request.headers.get("Host", ""))
        return name in _LOOPBACK_HOSTS and port == str(self.port)

    async def _handle(self, request: H11Exchange) -> Answer:
        parts = request.segments
        if request.method not in ("GET", "HEAD") or not 3 <= len(parts) <= 4 or parts[0] \
                or not all(parts[1:]):
            return request.plain(404, "not found")
        if not self._allowed(request, parts[1]):
            return request.plain(403, "forbidden")
        key = parts[2]
        playlist = len(parts) == 4 and parts[3] == "index.m3u8"
        seq = _SEGMENT.match(parts[3]) if len(parts) == 4 and not playlist else None
        if len(parts) == 4 and not playlist and seq is None:
            return request.plain(404, "not found")
        if self.provider.upstream(key) is None:
            return request.plain(404, "no such stream")
        if self.active >= self.max_streams:
            return request.plain(503, "too many streams", headers={"Retry-After": "1"})
        self.active += 1
        try:
            return await self.answer(request, key, playlist=playlist,
                                     segment=None if seq is None else int(seq.group(1)))
        finally:
            self.active -= 1

    async def answer(self, request: Exchange, key: str, *, playlist: bool = False,
                     segment: int | None = None) -> Answer:
        """Answer `request` for stream `key`, whoever took it in (this proxy's server, or
        another front end's that checked it first): its bytes, Range and HEAD honoured,
        relayed and recovered as above; or, for HLS, the relayed `playlist` or one
        `segment`. The bytes are written into the front end's `request.stream(...)`."""
        range_header = request.headers.get("Range")
        if range_header is not None and not _RANGE.match(range_header.strip()):
            return request.plain(416, "unsupported Range")
        if playlist or segment is not None:
            return await self._relay_hls(request, key, segment)
        return await self._relay(request, key)

    async def _relay(self, request: Exchange, key: str) -> Answer:
        import httpx  # loaded on first use: after the first frame

        m = _RANGE.match(request.headers.get("Range", "").strip())
        offset = int(m.group(1)) if m else 0
        last = int(m.group(2)) if m and m.group(2) else None
        response: Answer | None = None
        end: int | None = None              # one past the last byte libmpv will get
        failures = 0                        # in a row, without a byte of progress
        previous: FailureClass | None = None  # the class of the last of those failures
        recovering = False
        if self.tee is not None and \
                (cached := await self.tee.serve(request, key, offset, last)):
            response, offset, end = cached   # the rest, if any, comes from upstream
            if offset >= end:
                return response              # answered whole (or libmpv hung up)
        while True:
            upstream = self.provider.upstream(key)
            if upstream is None:  # closed meanwhile (the user moved on)
                return await self._give_up(key, request, response,
                                           _Stop(410, "stream closed"))
            headers = dict(upstream.headers)
            if m or offset:
                headers["Range"] = f"bytes={offset}-{'' if last is None else last}"
            try:
                async with self.http.stream("GET", upstream.url, headers=headers) as up:
                    self.provider.answered(str(up.url), up.headers)  # its clock, once
                    if up.status_code == 416 and response is None:
                        # Asked past the end (a seek there, a probe of the last bytes):
                        # said to the player as upstream said it; the stream is fine.
                        past = request.plain(416, "range not satisfiable")
                        if "Content-Range" in up.headers:
                            past.headers["Content-Range"] = up.headers["Content-Range"]
                        return past
                    if up.status_code >= 400:
                        raise await failure_of(up, signed_url=True)
                    # The rest of an answer under way, asked from `offset`, came from an
                    # earlier byte (the Range ignored): the bytes before it are dropped.
                    skip = 0 if response is None else offset - _body_start(up, offset)
                    if response is None:
                        response, end = self._response_for(up, request, ranged=bool(m),
                                                           offset=offset)
                        await request.start(response)
                        if request.method == "HEAD":  # its headers are the answer
                            await response.write_eof()
                            return response
                    sink = None if self.tee is None else \
                        self.tee.sink(key, up.status_code, up.headers, offset)
                    try:
                        async for chunk in up.aiter_raw(CHUNK):
                            if skip:
                                chunk, skip = chunk[skip:], max(0, skip - len(chunk))
                                if not chunk:
                                    continue
                            if sink is not None:
                                sink.write(chunk)
                            await response.write(chunk)
                            offset += len(chunk)
                            failures, previous = 0, None
                            if recovering:
                                recovering = False
                                self._recovered(key, offset)
                    except httpx.TransportError as e:
                        raise ServiceError(f"upstream cut off at byte {offset}: {type(e).__name__}",
                                           Failure(network=Network.PREMATURE_EOF)) from None
                    finally:
                        if sink is not None:
                            sink.close()
                    if end is not None and offset < end:
                        raise ServiceError(f"upstream ended early at byte {offset}",
                                           Failure(network=Network.PREMATURE_EOF))
                    await response.write_eof()
                    return response
            except (ConnectionResetError, asyncio.CancelledError):
                raise  # libmpv hung up (a seek, a stop): nothing to recover
            except httpx.TransportError as e:
                error = ServiceError(f"{type(e).__name__} reaching upstream", network_failure(e))
            except ServiceError as e:
                error = e
            failures += 1
            recovering = True
            try:
                await self._recover(key, upstream, error, failures, previous)
            except _Stop as stop:
                return await self._give_up(key, request, response, stop)
            previous = error.failure_class

    async def _relay_hls(self, request: Exchange, key: str, segment: int | None) -> Answer:
        """The relayed media playlist, or one segment of it (tui/session/proxy/_hls_relay.py)."""
        try:
            if segment is None:
                text = await self.hls.playlist(key)
                return request.plain(200, text, content_type=PLAYLIST_TYPE)
            body, content_type = await self.hls.segment(key, segment)
            return request.plain(200, body=body, content_type=content_type)
        except SegmentGone as e:
            return request.plain(404, str(e))
        except _Stop as stop:
            return await self._give_up(key, request, None, stop)

    @staticmethod
    def _response_for(up: httpx.Response, request: Exchange, *, ranged: bool,
                      offset: int) -> tuple[Answer, int | None]:
        response = request.stream(206 if ranged and up.status_code == 206 else 200)
        for name in _PASS_HEADERS:
            if name in up.headers:
                response.headers[name] = up.headers[name]
        response.headers.setdefault("Accept-Ranges", "bytes")
        length = up.headers.get("Content-Length")
        if response.status == 206 and "Content-Range" in up.headers:
            response.headers["Content-Range"] = up.headers["Content-Range"]
        if length is not None and length.isdigit():
            response.content_length = int(length)
            return response, offset + int(length)
        return response, None

    async def _recover(self, key: str, upstream: Upstream, error: ServiceError,
                       failures: int, previous: FailureClass | None) -> None:
        """Make the next upstream attempt worth making, or raise _Stop. `previous`: the
        class of the failure before this one in the same row (None for the first)."""
        cls = error.failure_class
        resource = f"stream · {self.provider.name(key)}"
        text = redact(str(error))
        retrier = self.retrier
        attempts = retrier.policy.attempts
        # A 401 right after a refresh: the fresh token is refused too, so the login is the
        # trouble and refreshing again would not help (401 → refresh once → replay once).
        # A 401 after 503s is not: the token ran out while the retries waited.
        refused_again = cls is FailureClass.AUTH and previous is FailureClass.AUTH
        if refused_again:
            text += "; a fresh token was refused too (check the account's access to it)"
        if failures >= attempts or cls is FailureClass.DETERMINISTIC or refused_again:
            self.provider.emit(SessionEvent(resource, "gave up", cls.value, failures, attempts,
                                            error=text))
            raise _Stop(502, text)
        try:
            if cls in (FailureClass.EXPIRED, FailureClass.AUTH):
                await self.provider.renew(key, upstream, error)
            else:
                if not retrier.budget.try_spend():
                    self.provider.emit(SessionEvent(resource, "gave up", "transient", failures,
                                                    attempts, error=f"retry budget exhausted; {text}"))
                    raise _Stop(503, text)
                delay = retrier.policy.delay(failures, retrier.rng, error.retry_after)
                self.provider.emit(SessionEvent(resource, "retrying", "transient", failures + 1,
                                                attempts, delay, text))
                await retrier.sleep(delay)
        except (ServiceError, GaveUp, LoginRequired, ResolveError) as e:
            raise _Stop(502, redact(str(e))) from None

    def _recovered(self, key: str, offset: int) -> None:
        self.provider.emit(SessionEvent(f"stream · {self.provider.name(key)}",
                                        f"recovered at byte {offset}"))

    async def _give_up(self, key: str, request: Exchange, response: Answer | None,
                       stop: _Stop) -> Answer:
        log.warning("proxy gave up: %s", stop)
        self.provider.report_dead(key, str(stop))
        if response is None:
            return request.plain(stop.status, str(stop))
        # Headers are gone already: cutting the connection is the only way to tell libmpv.
        request.hang_up()
        return response
