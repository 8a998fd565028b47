"""Abuse of the proxy and answers that break the protocol: every one gets a 4xx or a
classified failure, never a 500 with a traceback. Real servers on loopback."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from tests.helpers import Recorder
from tui.core.errors import ServiceError
from tui.core.failures import FailureClass
from tui.core.retry import RetryPolicy, parse_retry_after
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.proxy import StreamProxy
from tui.session.services import SessionApiClient
from tui.session.store import TokenStore


@pytest.fixture
async def proxied(demo: DemoService, resolver, tmp_path: Path):
    session = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"),
                           policy=RetryPolicy(base=0.3, cap=0.3, attempts=4))
    assert isinstance(session.relay, StreamProxy)
    session.relay.idle_timeout = 0.5
    _info, url, _ = await session.open("k", demo.watch_url("t1"))
    yield session, url
    await session.aclose()


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], \
        [r.getMessage() for r in caplog.records]


async def test_bad_requests_get_a_4xx(proxied, caplog) -> None:
    session, url = proxied
    base = url.rsplit("/", 2)[0]
    async with httpx.AsyncClient() as c:
        assert (await c.get(base + "/%C3%A9t%C3%A9/k")).status_code == 403   # non-ASCII secret
        assert (await c.get(url, headers={"Range": "bytes=" + "9" * 5000 + "-"})).status_code == 416
        assert (await c.get(url, headers={"Range": "bytes=-5"})).status_code == 416
        assert (await c.get(url, headers={"Range": "bytes=0-9"})).status_code == 206
    _no_tracebacks(caplog)


async def test_a_range_past_the_end_is_a_416_and_the_stream_lives_on(proxied) -> None:
    """A seek to the very end, or a probe of the last bytes past it: upstream's 416 goes to
    the player as it is, and nothing says the stream failed."""
    session, url = proxied
    rec = Recorder(session.bus)
    async with httpx.AsyncClient() as c:
        size = int((await c.get(url, headers={"Range": "bytes=0-0"})).headers[
            "Content-Range"].rsplit("/", 1)[1])
        past = await c.get(url, headers={"Range": f"bytes={size}-"})
        assert past.status_code == 416
        assert past.headers["Content-Range"] == f"bytes */{size}"
        assert (await c.get(url, headers={"Range": "bytes=0-9"})).status_code == 206
    assert not [e for e in rec.session_events if e.action.startswith("gave up")]
    assert session.stream("k") is not None


async def test_a_stream_closed_mid_retry_answers_410(demo, proxied, caplog) -> None:
    session, url = proxied
    rec = Recorder(session.bus)
    demo.options.fail_rate = 1.0
    async with httpx.AsyncClient() as c:
        pending = asyncio.ensure_future(c.get(url, headers={"Range": "bytes=0-99"}))
        await rec.wait_for(lambda: any(e.action == "retrying" for e in rec.session_events))
        session.close("k")             # the user moved on while the proxy waited to retry
        r = await pending
    assert r.status_code == 410
    _no_tracebacks(caplog)


async def test_a_flood_of_idle_connections_neither_blocks_nor_stays(proxied) -> None:
    session, url = proxied
    proxy = session.relay
    port = proxy.port
    flood = []
    for _ in range(200):  # half a request each, never finished
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        flood.append((reader, writer))
    await asyncio.sleep(0)
    async with httpx.AsyncClient() as c:
        r = await c.get(url, headers={"Range": "bytes=0-9"})
    assert r.status_code == 206                         # served while flooded
    server = proxy._server                                # noqa: SLF001
    assert server is not None and len(server) <= server.cap  # the cap held
    # Idle past the deadline (0.5 s here): the proxy hangs up on every one of them.
    closed = await asyncio.wait_for(
        asyncio.gather(*(reader.read() for reader, _ in flood)), 10)
    assert all(data == b"" for data in closed)
    for _, writer in flood:
        writer.close()


class _Garbage:
    def __init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._any)
        self.status, self.body, self.headers = 200, "<html>portal</html>", {}

    async def _any(self, _request: web.Request) -> web.Response:
        return web.Response(status=self.status, text=self.body, headers=self.headers,
                            content_type="text/html")


@pytest.fixture
async def garbage():
    g = _Garbage()
    runner = web.AppRunner(g.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    g.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield g
    await runner.cleanup()


@pytest.mark.parametrize("body", ["<html>portal</html>", '{"access_token": 5}', "[]",
                                  '{"items": "nope"}', '{"stream_url": "x"}'])
async def test_answers_that_are_not_the_protocol_are_classified(garbage, body: str) -> None:
    garbage.body = body
    async with httpx.AsyncClient() as http:
        client = SessionApiClient(garbage.url, "ytplay", http)
        for call in (lambda: client.password_grant("a", "b"), lambda: client.library("t"),
                     lambda: client.start_session("t", "m", "d")):
            with pytest.raises(ServiceError) as e:
                await call()
            assert e.value.failure.code == "bad_answer"
            assert e.value.failure_class is FailureClass.TRANSIENT


@pytest.mark.parametrize("value", ["soon", "9" * 5000, "-1", "１２", "Mon, 99 Foo 9999"])
async def test_a_retry_after_that_is_not_a_number_is_ignored(garbage, value: str) -> None:
    garbage.status, garbage.headers = 503, {"Retry-After": value}
    assert parse_retry_after(value, 0.0) is None
    async with httpx.AsyncClient() as http:
        with pytest.raises(ServiceError) as e:
            await SessionApiClient(garbage.url, "ytplay", http).library("t")
    assert e.value.failure_class is FailureClass.TRANSIENT and e.value.retry_after is None


@pytest.mark.parametrize("body", ['{"error": {"nested": 1}}', '{"error": ["invalid_grant"]}',
                                  '{"error": 5, "message": {"x": 1}}',
                                  '{"error": "Bearer SECRETVALUE \\u001b[2J' + "x" * 5000 + '"}',
                                  '{"error": "invalid_grant", "message": "' + "y" * 5000 + '"}'],
                         ids=["dict", "list", "numbers", "secret-and-long", "long-message"])
async def test_an_error_body_of_the_wrong_shape_is_classified_and_kept_short(
        garbage, body: str) -> None:
    """`error` is a short code (RFC 6749, 5.2) that decides what happens next: anything else
    there is no code (it was unhashable: a traceback), and neither it nor a long `message`
    reaches an error text whole."""
    garbage.status, garbage.body = 400, body
    async with httpx.AsyncClient() as http:
        client = SessionApiClient(garbage.url, "ytplay", http)
        with pytest.raises(ServiceError) as e:
            await client.refresh_grant("r")
    assert e.value.failure_class is FailureClass.DETERMINISTIC
    assert e.value.failure.code in (None, "invalid_grant")
    text = str(e.value)
    assert "SECRETVALUE" not in text and "\x1b" not in text and len(text) < 400, text


async def test_a_bad_answer_names_the_endpoint_that_gave_it(garbage) -> None:
    """An OAuth2 client's device endpoint answering HTML: the error names that endpoint, not
    the token endpoint (the client's base URL), which was never asked."""
    from tui.session.services import OAuth2Client

    async with httpx.AsyncClient() as http:
        client = OAuth2Client(f"{garbage.url}/oauth/token", http, client_id="ytplay",
                              device_url=f"{garbage.url}/oauth/device")
        with pytest.raises(ServiceError) as e:
            await client.device_authorization()
    assert e.value.failure.code == "bad_answer"
    assert f"{garbage.url}/oauth/device" in str(e.value) and "/oauth/token" not in str(e.value)


@pytest.mark.parametrize("status", [200, 206])
async def test_a_recovery_answered_whole_despite_its_range_is_not_spliced_in(
        resolver, tmp_path: Path, caplog, status: int) -> None:
    """The body is cut half-way; the proxy asks again from that byte, and the server ignores
    the Range and sends the whole file from byte 0 (a 200, or a 206 that says so). libmpv
    must get the file as it is: the bytes before the cut are skipped (they were written
    again after it: the start of the file, in the middle of the stream)."""
    body = os.urandom(640_000)   # random: the start of it is like no other part
    cut = asyncio.Event()

    async def song(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/wav"})
        response.content_length = len(body)
        if request.headers.get("Range") and status == 206:
            response.set_status(206)
            response.headers["Content-Range"] = f"bytes 0-{len(body) - 1}/{len(body)}"
        await response.prepare(request)
        if request.method != "GET":
            return response
        if cut.is_set():
            cut.clear()
            await response.write(body[:300_000])
            assert request.transport is not None
            request.transport.close()
            return response
        try:
            await response.write(body)   # whole, Range or not
        except ConnectionError:
            pass  # the proxy hung up on an answer that was not what it asked for
        return response

    app = web.Application()
    app.router.add_route("*", "/song.wav", song)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    session = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"),
                           policy=RetryPolicy(base=0.05, cap=0.1))
    try:
        _info, url, proxied = await session.open(
            "k", f"http://127.0.0.1:{runner.addresses[0][1]}/song.wav")
        assert proxied
        cut.set()   # yt-dlp has looked: the proxy's first request is the one cut
        async with httpx.AsyncClient() as c:
            got = (await c.get(url)).content
    finally:
        await session.aclose()
        await runner.cleanup()
    assert len(got) == len(body) and got == body
    _no_tracebacks(caplog)
