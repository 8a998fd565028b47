"""The proxy's own HTTP server (h11 over asyncio's streams), driven over real sockets: what
a player's connection sees of it, beside the relay's tests (test_proxy.py), which go
through it too."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import httpx
import pytest

from tests.helpers import Recorder
from tui.core.exchange import Answer
from tui.demo.service import DemoService
from tui.session.proxy import StreamProxy
from tui.session.proxy._http_server import H11Exchange, HttpServer  # noqa: PLC2701


async def _read_answers(reader: asyncio.StreamReader, *methods: str) -> list[httpx.Response]:
    """The answers to requests made with `methods`, read off one connection, each whole
    (they carry a Content-Length, which a HEAD's answer has no body for)."""
    answers = []
    for method in methods:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(": ", 1) for line in lines[1:] if line)
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length and method != "HEAD" else b""
        answers.append(httpx.Response(status, headers=headers, content=body))
    return answers


@pytest.fixture
async def server():
    calls: list[str] = []
    cancelled = asyncio.Event()
    release = asyncio.Event()

    async def handle(request: H11Exchange) -> Answer:
        calls.append(request.path)
        if request.path == "/slow":
            try:
                await release.wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise
        if request.path == "/brief":
            await asyncio.sleep(0.02)
        if request.path == "/stall":  # the loop held (a slow moment), then one step more
            time.sleep(0.3)
            await asyncio.sleep(0)
        if request.path == "/bug":
            raise ValueError("a handler's bug")
        if request.path in ("/stream", "/slow-stream", "/endless"):
            answer = request.stream(200)
            await request.start(answer)
            for part in (b"one ", b"two ", b"three"):
                await answer.write(part)
                if request.path == "/slow-stream":
                    await asyncio.sleep(0.1)
            while request.path == "/endless":
                await answer.write(b"more ")
                await asyncio.sleep(0.05)
            return answer
        return request.plain(200, f"you asked for {request.path}")

    s = HttpServer(handle, cap=4, idle=0.5)
    await s.start("127.0.0.1", 0)
    s.calls, s.cancelled, s.release = calls, cancelled, release  # type: ignore[attr-defined]
    yield s
    await s.stop()


async def test_requests_on_one_connection_are_answered_in_order(server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    (first,) = await _read_answers(reader, "GET")
    # Two more in one write (pipelined), the second arriving while the first is answered.
    writer.write(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c HTTP/1.1\r\nHost: x\r\n\r\n")
    second, third = await _read_answers(reader, "GET", "HEAD")
    assert [first.text, second.text] == ["you asked for /a", "you asked for /b"]
    assert third.status_code == 200 and third.content == b""   # HEAD: the head alone
    assert third.headers["content-length"] == str(len("you asked for /c"))
    assert server.calls == ["/a", "/b", "/c"]
    writer.close()


def _two_requests(port: int, pause: float) -> int:
    """A player on its own thread: one request, another `pause` s later on the same
    connection; how many answers came."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /brief HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(pause)
        sock.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = b""
        while data := sock.recv(65536):
            answers += data
    return answers.count(b"HTTP/1.1 200")


async def test_a_request_that_comes_while_the_loop_is_held_is_answered(server) -> None:
    """The next request lands while the loop is held inside the answer before it: the
    answer ends and the read of that request completes in the same turn of the loop."""
    def player() -> bytes:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /stall HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.1)
            sock.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answers = b""
            while data := sock.recv(65536):
                answers += data
            return answers
    answers = await asyncio.to_thread(player)
    assert answers.count(b"HTTP/1.1 200") == 2 and answers.endswith(b"you asked for /after")


async def test_a_request_that_comes_as_the_answer_ends_is_answered(server) -> None:
    """The next request arriving while the answer before it is made is kept for its turn,
    also when it lands just as that answer ends (pauses spread across the handler's 20 ms)."""
    answered = [await asyncio.to_thread(_two_requests, server.port, 0.0195 + (i % 10) * 0.0001)
                for i in range(30)]
    assert answered == [2] * 30


async def test_a_streamed_body_is_chunked_and_ends(server) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.get(f"http://127.0.0.1:{server.port}/stream")
    assert r.text == "one two three"
    assert r.headers["transfer-encoding"] == "chunked"


async def test_stopping_lets_an_answer_under_way_end_then_cuts_what_does_not(server) -> None:
    async with httpx.AsyncClient() as c:
        async with c.stream("GET", f"http://127.0.0.1:{server.port}/slow-stream") as r:
            parts = r.aiter_raw()
            body = [await anext(parts)]
            stopped = asyncio.ensure_future(server.stop())
            body += [part async for part in parts]
        await stopped
        assert b"".join(body) == b"one two three"   # whole, though the server stopped
        with pytest.raises(httpx.ConnectError):       # and it takes no new request
            await c.get(f"http://127.0.0.1:{server.port}/a")


async def test_stopping_cuts_an_answer_that_does_not_end(server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
    await reader.readuntil(b"more ")
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 3
    assert not (await asyncio.wait_for(reader.read(), 10)).endswith(b"0\r\n\r\n")  # cut
    writer.close()


async def test_a_player_that_hangs_up_has_its_answer_cancelled(server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    while server.calls != ["/slow"]:
        await asyncio.sleep(0.01)
    writer.close()                              # a seek: libmpv drops the connection
    await asyncio.wait_for(server.cancelled.wait(), 10)
    assert await asyncio.wait_for(reader.read(), 10) == b""
    assert len(server) == 0


async def test_what_is_not_http_gets_a_400_and_no_traceback(server, caplog) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"\x16\x03\x01 hello, this is TLS\r\n\r\n")
    head = await asyncio.wait_for(reader.read(), 10)
    assert head.startswith(b"HTTP/1.1 400 ")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    writer.close()


async def test_a_handler_bug_is_a_500_said_in_the_log(server, caplog) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.get(f"http://127.0.0.1:{server.port}/bug")
        assert r.status_code == 500
        assert (await c.get(f"http://127.0.0.1:{server.port}/after")).status_code == 200
    assert any("a handler's bug" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_idle_connections_make_room_and_are_closed(server) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(server.cap)]
    busy_reader, busy = await asyncio.open_connection("127.0.0.1", server.port)
    busy.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")   # took the longest-idle one's place
    assert await asyncio.wait_for(idle[0][0].read(), 10) == b""
    while "/slow" not in server.calls:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    for reader, _ in idle[1:]:                  # the rest: past the idle deadline (0.5 s)
        assert await asyncio.wait_for(reader.read(), 10) == b""
    assert time.monotonic() - started < 5
    assert len(server) == 1                     # a request under way is not idle
    server.release.set()
    (answer,) = await _read_answers(busy_reader, "GET")
    assert answer.text == "you asked for /slow"
    for _, writer in [*idle, (busy_reader, busy)]:
        writer.close()


async def test_a_seek_stops_the_upstream_fetch_it_replaced(demo: DemoService, resolver,
                                                           tmp_path) -> None:
    """Through the relay: libmpv hangs up while the proxy waits on a slow upstream; the
    relay stops at once (its slot is free) instead of when upstream answers."""
    from tui.factory import make_session
    from tui.session.store import TokenStore

    session = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"))
    try:
        _info, url, _ = await session.open("k", demo.watch_url("t1"))
        proxy = session.relay
        assert isinstance(proxy, StreamProxy)
        rec = Recorder(session.bus)
        demo.options.latency = 30.0
        host, port = url.split("/")[2].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        path = "/" + url.split("/", 3)[3]
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        while proxy.active != 1:
            await asyncio.sleep(0.01)
        writer.close()
        started = time.monotonic()
        while proxy.active:
            assert time.monotonic() - started < 5, "the relay went on for a player gone"
            await asyncio.sleep(0.01)
        assert not [e for e in rec.session_events if e.action in ("gave up", "retrying")]
    finally:
        demo.options.latency = 0.0
        await session.aclose()
