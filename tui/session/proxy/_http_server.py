"""The proxy's HTTP/1.1 server: h11 over asyncio's streams, with a guard on its connections.

Why not a server library (aiohttp's, the demo service's): the proxy answers one kind of
GET, and aiohttp's server brings its client, yarl and multidict into every playing process
(8.5 MiB measured, `make bench ARGS=playing`). h11, the protocol library httpx's transport
is built on, is loaded already; this module only runs its connections.

The guard: at most `cap` connections; one with no request being answered for `idle`
seconds is closed, so one that never finishes its request's head (or never sends one)
cannot hold a file descriptor. When full, the longest-idle connection makes room for a new
one. A player that hangs up while its request is being answered (a seek, a stop) has that
answer cancelled: what it asked for is fetched no further.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Awaitable, Callable, Mapping
from urllib.parse import unquote

import h11
import httpx

from tui.core.exchange import Answer

log = logging.getLogger(__name__)

READ = 64 * 1024
_MAX_BODY = 64 * 1024   # a request's body (a GET has none) is read and dropped up to this

Handler = Callable[["H11Exchange"], Awaitable[Answer]]


class H11Answer:
    """An answer on one connection: the proxy's `Answer`."""

    def __init__(self, exchange: H11Exchange, status: int, body: bytes | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self._exchange = exchange
        self.status = status
        self.headers: httpx.Headers = httpx.Headers(headers)
        self.body = body
        self.prepared = False
        self.ended = False

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value is not None else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.pop("Content-Length", None)
        else:
            self.headers["Content-Length"] = str(value)

    async def write(self, data: bytes) -> None:
        await self._exchange.send(h11.Data(data=data))

    async def write_eof(self) -> None:
        if not self.ended:
            self.ended = True
            await self._exchange.send(h11.EndOfMessage())


class H11Exchange:
    """One request on one connection: the proxy's `Exchange`."""

    def __init__(self, conn: h11.Connection, request: h11.Request,
                 writer: asyncio.StreamWriter) -> None:
        self._conn = conn
        self._writer = writer
        self.method = request.method.decode("ascii", "replace")
        target = request.target.decode("ascii", "replace")
        path, _, self.query = target.partition("?")
        # Each segment decoded, as a router would (a %2F stays inside its segment).
        self.segments = [unquote(s, errors="surrogateescape") for s in path.split("/")]
        self.path = "/".join(self.segments)
        self.headers = httpx.Headers([(k, v) for k, v in request.headers])
        self.answer: H11Answer | None = None

    def plain(self, status: int, text: str = "", *, body: bytes | None = None,
              content_type: str | None = None,
              headers: Mapping[str, str] | None = None) -> H11Answer:
        answer = H11Answer(self, status, text.encode() if body is None else body, headers)
        if content_type is not None or body is None:
            answer.headers.setdefault("Content-Type", content_type or "text/plain; charset=utf-8")
        return answer

    def stream(self, status: int) -> H11Answer:
        return H11Answer(self, status)

    async def start(self, answer: Answer) -> None:
        assert isinstance(answer, H11Answer)
        self.answer = answer
        answer.prepared = True
        if answer.body is not None:
            answer.content_length = len(answer.body)
        try:
            reason = HTTPStatus(answer.status).phrase
        except ValueError:
            reason = ""
        await self.send(h11.Response(status_code=answer.status, reason=reason,
                                     headers=list(answer.headers.multi_items())))

    def hang_up(self) -> None:
        self._writer.transport.close()

    @property
    def hung_up(self) -> bool:
        return self._writer.transport.is_closing()

    async def send(self, event: h11.Event) -> None:
        if self.hung_up:
            raise ConnectionResetError("the player hung up")
        data = self._conn.send_with_data_passthrough(event)
        if data:
            self._writer.writelines(data)
        await self._writer.drain()

    async def finish(self, answer: Answer) -> None:
        """Send what the handler left unsent: a whole answer, or the end of a started one."""
        assert isinstance(answer, H11Answer)
        if not answer.prepared:
            await self.start(answer)
            if answer.body and self.method != "HEAD":
                await answer.write(answer.body)
        await answer.write_eof()


class _Connection:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.busy = False
        self.since = asyncio.get_running_loop().time()

    def close(self) -> None:
        self.writer.transport.close()


class HttpServer:
    """Serves `handle` on an address once started; `port` is the one it got."""

    def __init__(self, handle: Handler, *, cap: int = 64, idle: float = 15.0) -> None:
        self._handle = handle
        self.cap = cap
        self.idle = idle
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: dict[_Connection, asyncio.Task[None]] = {}   # oldest first
        self._stopping = False

    def __len__(self) -> int:
        return len(self._open)

    async def start(self, host: str, port: int) -> None:
        """Listen on `host`:`port` (0: any free port); raises OSError where it is taken."""
        self._server = await asyncio.start_server(self._serve, host, port, limit=READ)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Listen no more and close every connection. An answer under way gets up to a
        second to end first (libmpv, stopped, hangs up on it), so that a body is not cut
        off in the middle where it need not be; then it is cut."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._cut(lambda conn: not conn.busy)
        if busy := [task for conn, task in self._open.items() if conn.busy]:
            await asyncio.wait(busy, timeout=1.0)
        await self._cut(lambda conn: True)

    async def _cut(self, which: Callable[[_Connection], bool]) -> None:
        """Close the connections `which` picks, and wait (a second at most) for their ends."""
        picked = [(conn, task) for conn, task in self._open.items() if which(conn)]
        for conn, task in picked:
            conn.close()
            task.cancel()
        if picked:
            await asyncio.wait([task for _conn, task in picked], timeout=1.0)

    def _admit(self, conn: _Connection) -> bool:
        if len(self._open) >= self.cap:
            idle = [c for c in self._open if not c.busy]
            if not idle:
                return False
            oldest = min(idle, key=lambda c: c.since)
            self._open.pop(oldest).cancel()
            oldest.close()
        task = asyncio.current_task()
        assert task is not None
        self._open[conn] = task
        return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(writer)
        if not self._admit(conn):
            writer.transport.close()
            return
        h = h11.Connection(h11.SERVER)
        try:
            while await self._one_request(conn, h, reader) and not self._stopping:
                h.start_next_cycle()
        except (ConnectionError, asyncio.CancelledError, TimeoutError):
            pass
        except h11.ProtocolError as e:
            await _refuse(h, writer, e)
        finally:
            self._open.pop(conn, None)
            writer.transport.close()

    async def _one_request(self, conn: _Connection, h: h11.Connection,
                           reader: asyncio.StreamReader) -> bool:
        """Answer the connection's next request; False: the connection ends."""
        conn.busy, conn.since = False, asyncio.get_running_loop().time()
        async with asyncio.timeout(self.idle):
            request = await _next_event(h, reader)
            if not isinstance(request, h11.Request):
                return False
            body = 0
            while not isinstance(event := await _next_event(h, reader), h11.EndOfMessage):
                if not isinstance(event, h11.Data) or (body := body + len(event.data)) > _MAX_BODY:
                    return False
        conn.busy = True
        exchange = H11Exchange(h, request, conn.writer)
        if not await self._answer(exchange, h, reader):
            return False
        return h.our_state is h11.DONE and h.their_state is h11.DONE

    async def _answer(self, exchange: H11Exchange, h: h11.Connection,
                      reader: asyncio.StreamReader) -> bool:
        """Run the handler, cancelled if the player hangs up meanwhile; False if it did."""
        handler = asyncio.ensure_future(self._handle(exchange))
        # What the player sends meanwhile is read as it comes: its end (a seek, a stop) is
        # heard at once, and a request come early is kept for its turn.
        watch: asyncio.Task[bytes] | None = None
        gone = False
        try:
            while not handler.done() and not gone:
                watch = watch or asyncio.ensure_future(reader.read(READ))
                await asyncio.wait({handler, watch}, return_when=asyncio.FIRST_COMPLETED)
                if watch.done():
                    gone, watch = not _take(h, watch), None
        except asyncio.CancelledError:  # the connection closed under it (stop, evicted)
            handler.cancel()
            # Its end (cancelled, or the reset it met) is nobody's to hear of: taken here.
            handler.add_done_callback(lambda t: t.cancelled() or t.exception())
            raise
        finally:
            if watch is not None:
                watch.cancel()
                await asyncio.wait({watch})  # gone before the next read starts
                if not watch.cancelled():    # it read as it was cancelled: kept too
                    gone = not _take(h, watch) or gone
        if gone:  # the player hung up (or floods): what it asked for is not wanted
            handler.cancel()
            await asyncio.gather(handler, return_exceptions=True)
            return False
        try:
            answer = handler.result()
        except (ConnectionError, h11.ProtocolError):
            raise
        except Exception:  # a bug, not the player's doing: said, and answered as one
            log.exception("proxy: answering %s failed", exchange.method)
            if exchange.answer is not None:
                return False
            answer = exchange.plain(500, "internal error")
        if exchange.hung_up:
            return False  # hung up on (the relay gave up after the head was sent)
        await exchange.finish(answer)
        return True


def _take(h: h11.Connection, read: asyncio.Task[bytes]) -> bool:
    """Hand h11 what `read` read while an answer was under way (the next request, come
    early); False: the player hung up (EOF, a reset) or sent more than a request."""
    try:
        data = read.result()
    except ConnectionError:  # reset: it closed with our bytes unread
        return False
    if data:
        h.receive_data(data)
    return bool(data) and len(h.trailing_data[0]) <= _MAX_BODY


async def _next_event(h: h11.Connection, reader: asyncio.StreamReader) -> object:
    while (event := h.next_event()) is h11.NEED_DATA:
        h.receive_data(await reader.read(READ))
    return event


async def _refuse(h: h11.Connection, writer: asyncio.StreamWriter, e: h11.ProtocolError) -> None:
    """A request h11 could not read gets its 4xx, then the connection ends."""
    if h.our_state not in (h11.IDLE, h11.SEND_RESPONSE) or writer.transport.is_closing():
        return
    try:
        writer.write(h.send(h11.Response(status_code=e.error_status_hint, headers=[
            ("Content-Length", "0"), ("Connection", "close")])) or b"")
        writer.write(h.send(h11.EndOfMessage()) or b"")
        await writer.drain()
    except (ConnectionError, h11.ProtocolError):
        pass
