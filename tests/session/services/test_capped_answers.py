"""Answers too large to hold (tui/session/services/_capped_body.py): a server that declares
gigabytes, or sends a chunked body that does not end, against the protocol client's JSON
answers, its error bodies, a service's cover image and an OAuth2 token endpoint. A real HTTP server on
loopback, written by hand so that it can say what it sent and when the client hung up."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Awaitable, Callable

import httpx
import pytest

from tests.session.services.test_session_tokens import FAST, Rig
from tui.core.errors import GaveUp, ServiceError
from tui.core.failures import FailureClass
from tui.session.covers import CoverStore
from tui.session.covers._cover_store import MAX_BYTES as MAX_IMAGE_BYTES
from tui.session.services import OAuth2Client
from tui.session.services._protocol_client import (ERROR_BODY_BYTES, MAX_ANSWER_BYTES,
                                                   SessionApiClient)

HUGE = 4 << 30          # the Content-Length declared: 4 GiB
BLOCK = b" " * (64 << 10)
# The "endless" body ends here only so that a client without a cap fails the test (it
# reads all of it) instead of filling the machine's memory.
ENDLESS_STOP = 256 << 20


class HostileServer:
    """HTTP/1.1 on loopback. `normal`: `body` with its length. `huge`: a Content-Length of
    4 GiB, one block of it, then nothing until the client hangs up (a client that reads on
    waits for ever). `endless`: chunked blocks until the client hangs up."""

    def __init__(self) -> None:
        self.mode, self.status, self.body = "normal", 200, b""
        self.sent = 0                       # body bytes written
        self.asked = 0                      # requests answered
        self.hung_up = asyncio.Event()      # the client closed the connection early
        self.url = ""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            asked = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
            # The request's body read, though not wanted: closing with it unread would
            # answer the client with a reset, which can come before it reads the answer.
            length = re.search(r"\ncontent-length: *(\d+)", asked)
            await reader.readexactly(int(length.group(1)) if length else 0)
            self.asked += 1
            head = f"HTTP/1.1 {self.status} Answer\r\nConnection: close\r\n"
            if self.mode == "normal":
                writer.write(f"{head}Content-Length: {len(self.body)}\r\n\r\n".encode()
                             + self.body)
            elif self.mode == "huge":
                writer.write(f"{head}Content-Length: {HUGE}\r\n\r\n".encode() + BLOCK)
                self.sent += len(BLOCK)
                await writer.drain()
                if await reader.read() == b"":
                    self.hung_up.set()
            else:
                writer.write(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
                while self.sent < ENDLESS_STOP:
                    writer.write(b"%x\r\n%b\r\n" % (len(BLOCK), BLOCK))
                    self.sent += len(BLOCK)
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            self.hung_up.set()
        finally:
            writer.close()


@pytest.fixture
async def hostile():
    server = HostileServer()
    await server.start()
    yield server
    await server.stop()


Call = Callable[[httpx.AsyncClient, str], Awaitable[Any]]


def _grant(http: httpx.AsyncClient, url: str) -> Awaitable[Any]:
    return SessionApiClient(url, "ytplay", http).password_grant("a", "b")


def _oauth2(http: httpx.AsyncClient, url: str) -> Awaitable[Any]:
    return OAuth2Client(url + "/token", http, client_id="ytplay").password_grant("a", "b")


def _refresh(http: httpx.AsyncClient, url: str) -> Awaitable[Any]:
    return SessionApiClient(url, "ytplay", http).refresh_grant("r")


def _image(http: httpx.AsyncClient, url: str) -> Awaitable[Any]:
    return SessionApiClient(url, "ytplay", http).image("t", url + "/cover.png",
                                                        MAX_IMAGE_BYTES)


TOKEN = b'{"access_token": "tok", "expires_in": 60}'
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ANSWERS = {  # what is asked, the cap on its body, its answer's status and a normal answer
    "protocol JSON": (_grant, MAX_ANSWER_BYTES, 200, TOKEN),
    "OAuth2 token": (_oauth2, MAX_ANSWER_BYTES, 200, TOKEN),
    "error body": (_refresh, ERROR_BODY_BYTES, 400, b'{"error": "invalid_grant"}'),
    "cover image": (_image, MAX_IMAGE_BYTES, 200, PNG),
}


async def _refused(hostile: HostileServer, call: Call, status: int) -> ServiceError:
    hostile.status = status
    async with httpx.AsyncClient() as http:
        with pytest.raises(ServiceError) as e:
            await asyncio.wait_for(call(http, hostile.url), 30)
    await asyncio.wait_for(hostile.hung_up.wait(), 10)
    error = e.value
    assert error.failure.status == status
    if status < 400:  # the service's fault, as an answer that is not the protocol's
        assert error.failure.code == "too_large"
        assert error.failure_class is FailureClass.TRANSIENT, error
        assert "an answer larger than" in str(error) and "; not read" in str(error), error
    else:  # an error answer keeps its status's class, and names no code
        assert error.failure.code is None
        assert error.failure_class is FailureClass.DETERMINISTIC, error
    return error


@pytest.mark.parametrize("what", ANSWERS)
async def test_a_declared_huge_body_is_refused_unread(hostile, what: str) -> None:
    """Content-Length says 4 GiB: refused on the headers, the connection closed; before, a
    4 GiB answer was read into memory (an error body too) before its size was looked at."""
    call, _cap, status, _normal = ANSWERS[what]
    hostile.mode = "huge"
    await _refused(hostile, call, status)
    assert hostile.sent == len(BLOCK)


@pytest.mark.parametrize("what", ANSWERS)
async def test_an_endless_body_is_refused_past_its_cap(hostile, what: str) -> None:
    call, cap, status, _normal = ANSWERS[what]
    hostile.mode = "endless"
    await _refused(hostile, call, status)
    assert cap < hostile.sent < ENDLESS_STOP, hostile.sent


async def test_normal_answers_are_read(hostile) -> None:
    async with httpx.AsyncClient() as http:
        for what, (call, _cap, status, body) in ANSWERS.items():
            hostile.status, hostile.body = status, body
            if status >= 400:
                with pytest.raises(ServiceError) as e:
                    await call(http, hostile.url)
                assert e.value.failure.code == "invalid_grant", what
            elif call is _image:
                assert await call(http, hostile.url) == PNG
            else:
                assert (await call(http, hostile.url)).access_token == "tok", what
    assert not hostile.hung_up.is_set()


@pytest.mark.parametrize("mode", ["huge", "endless"])
async def test_a_cover_from_the_web_too_large_is_no_cover(hostile, session, tmp_path,
                                                          mode: str) -> None:
    """A cover URL of yt-dlp's thumbnail, at any server: no cover, the connection closed.
    Within 10 s: a client that waited for the declared body would give up only at its
    15 s read timeout."""
    hostile.mode = mode
    store = CoverStore(tmp_path / "covers", session)
    assert await asyncio.wait_for(store.path(hostile.url + "/cover.png"), 10) is None
    await asyncio.wait_for(hostile.hung_up.wait(), 10)
    assert hostile.sent < ENDLESS_STOP


async def test_a_refresh_answered_too_large_keeps_the_refresh_token(hostile,
                                                                   tmp_path: Path) -> None:
    """Retried as an answer that is not the protocol's, a bounded number of times, then given
    up: the refresh token is kept (a deterministic failure would throw it away for a login)."""
    hostile.mode = "huge"
    rig = Rig(SimpleNamespace(base_url=hostile.url), tmp_path)  # type: ignore[arg-type]
    rig.store.save("demo", "refresh-1")
    try:
        with pytest.raises(GaveUp):
            await asyncio.wait_for(rig.tokens.token(), 30)
    finally:
        await rig.close()
    assert hostile.asked == FAST.attempts
    assert rig.store.load("demo") == "refresh-1"
