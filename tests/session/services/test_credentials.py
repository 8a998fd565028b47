"""Credentials go only where they belong: redirects of credentialed calls stay within the
service's origin, and the bearer token goes with media only to the origins allowed.
Real HTTP servers on loopback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator, Callable

import httpx
import pytest
from aiohttp import web

from tui.core.errors import LoginRequired, ServiceError
from tui.core.origins import same_origin
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.services import SessionApiClient
from tui.session.store import TokenStore


class Origin:
    """A loopback HTTP server that records what reached it."""

    def __init__(self) -> None:
        self.seen: list[web.Request] = []
        self.bodies: list[str] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._any)
        # What to answer a request with; by default, tokens (to steal).
        self.reply: Callable[[web.Request], web.StreamResponse] | None = None
        self.url = ""

    async def _any(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request)
        self.bodies.append(await request.text())
        if self.reply is not None:
            return self.reply(request)
        return web.json_response({"access_token": "stolen.token.x", "expires_in": 60,
                                  "items": []})


@pytest.fixture
async def origins() -> AsyncIterator[tuple[Origin, Origin]]:
    runners = []
    made = []
    for _ in range(2):
        o = Origin()
        runner = web.AppRunner(o.app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        o.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        runners.append(runner)
        made.append(o)
    yield made[0], made[1]
    for runner in runners:
        await runner.cleanup()


def test_an_origin_is_scheme_host_and_port() -> None:
    assert same_origin("https://a.example/x", "https://A.example:443/y")
    assert not same_origin("https://a.example/", "http://a.example/")      # a downgrade
    assert not same_origin("https://a.example/", "https://a.example:8443/")
    assert not same_origin("https://a.example/", "https://b.example/")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_login_redirected_to_another_origin_is_not_followed(origins, status) -> None:
    service, thief = origins
    service.reply = lambda _r: web.Response(status=status,
                                            headers={"Location": thief.url + "/steal"})
    async with httpx.AsyncClient(follow_redirects=True) as http:
        client = SessionApiClient(service.url, "ytplay", http)
        with pytest.raises(ServiceError, match="not followed") as e:
            await client.password_grant("alice", "hunter2")
        assert e.value.failure.code == "unsafe_redirect"
        with pytest.raises(ServiceError, match="not followed"):
            await client.library("a-bearer-token")
    assert thief.seen == []                                 # no password, no token, no call


async def test_a_redirect_within_the_origin_is_followed(origins) -> None:
    service, _ = origins

    def moved(request: web.Request) -> web.StreamResponse:
        if request.path == "/oauth/token":
            return web.Response(status=308, headers={"Location": "/v2/oauth/token"})
        return web.json_response({"access_token": "a.b.c", "expires_in": 60})
    service.reply = moved
    async with httpx.AsyncClient() as http:
        tokens = await SessionApiClient(service.url, "ytplay", http).password_grant(
            "alice", "hunter2")
    assert tokens.access_token == "a.b.c"
    assert [r.path for r in service.seen] == ["/oauth/token", "/v2/oauth/token"]
    assert "password=hunter2" in service.bodies[1]


async def test_the_login_says_why_it_stopped(origins, tmp_path: Path, resolver) -> None:
    service, thief = origins
    service.reply = lambda _r: web.Response(status=307,
                                            headers={"Location": thief.url + "/oauth/token"})
    session = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"))

    async def password() -> str:
        return "hunter2"
    session.add_service("home", service.url, client_id="ytplay", username="alice",
                        password=password)
    with pytest.raises(LoginRequired, match="redirected a request carrying credentials"):
        await session.open("k", "home:t1")
    await session.aclose()
    assert thief.seen == []


@pytest.mark.parametrize("allow", [False, True])
async def test_the_bearer_goes_with_media_only_to_allowed_origins(demo_options, origins, resolver,
                                                                  tmp_path: Path, allow) -> None:
    _, cdn = origins
    cdn.reply = lambda _r: web.Response(body=b"x" * 1000, headers={"Content-Type": "audio/wav"})
    with DemoService(demo_options) as demo:
        session = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"))

        async def password() -> str:
            return "demo"
        session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                            password=password, media_origins=[cdn.url] if allow else [])
        _info, url, proxied = await session.open("k", "demo:t1")
        assert proxied
        own = session.upstream("k")
        assert own is not None and own.headers["Authorization"].startswith("Bearer ")
        # The service hands out a URL on a CDN origin (as many do).
        opened = session.leases.open["k"]  # the stream the service granted
        opened.stream = replace(opened.stream, url=cdn.url + "/media/t1.wav")
        async with httpx.AsyncClient() as c:
            r = await c.get(url)
        await session.aclose()
    assert r.status_code == 200 and len(r.content) == 1000
    sent = cdn.seen[-1].headers.get("Authorization")
    assert (sent is not None) is allow
