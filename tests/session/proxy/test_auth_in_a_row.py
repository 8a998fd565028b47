"""When a 401 means the login is the trouble: only right after a refresh. A token that runs
out while the proxy waits out a burst of 503s is refreshed, and the stream plays on. A
scripted upstream on loopback, the proxy's real recovery, a provider that counts renewals."""

from __future__ import annotations

from typing import Mapping

import httpx
import pytest
from aiohttp import web

from tui.core.clock import SystemClock
from tui.core.errors import ServiceError
from tui.core.events import SessionEvent
from tui.core.retry import RetryBudget, RetryPolicy
from tui.session.leases import Retrier
from tui.session.proxy import StreamProxy, Upstream

BODY = bytes(range(256)) * 64


class Provider:
    """The session manager as the proxy sees it: one stream, renewed on request."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.renewals = 0
        self.events: list[SessionEvent] = []
        self.dead: list[str] = []

    def upstream(self, key: str) -> Upstream | None:
        return Upstream(self.url, {"Authorization": f"Bearer t{self.renewals}"},
                        token=f"t{self.renewals}")

    def name(self, key: str) -> str:
        return "Scripted"

    async def renew(self, key: str, failed: Upstream, error: ServiceError) -> None:
        self.renewals += 1

    def playlist_read(self, key: str, expires_at: float | None, live: bool) -> None:
        pass

    def answered(self, url: str, headers: Mapping[str, str]) -> None:
        pass

    def clock_offset(self, url: str) -> float:
        return 0.0

    def report_dead(self, key: str, reason: str) -> None:
        self.dead.append(reason)

    def emit(self, event: SessionEvent) -> None:
        self.events.append(event)


@pytest.fixture
async def scripted():
    """An upstream that answers the statuses in `script` in turn, then the body."""
    script: list[int] = []

    async def media(request: web.Request) -> web.StreamResponse:
        if script:
            status = script.pop(0)
            return web.json_response({"error": "nope"}, status=status,
                                     headers={"Retry-After": "0"} if status == 503 else {})
        return web.Response(body=BODY, content_type="audio/wav")

    app = web.Application()
    app.router.add_get("/media", media)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    provider = Provider(f"http://127.0.0.1:{port}/media")
    async with httpx.AsyncClient() as http:
        retrier = Retrier(RetryPolicy(base=0.01, cap=0.02, attempts=5),
                          RetryBudget(SystemClock()), provider.emit)
        proxy = StreamProxy(provider, retrier, http)
        await proxy.start()
        yield script, provider, proxy.url_for("k")
        await proxy.stop()
    await runner.cleanup()


async def test_a_401_after_a_burst_of_503s_is_refreshed_and_plays_on(scripted) -> None:
    script, provider, url = scripted
    script += [503, 503, 401]  # the token ran out while the retries waited
    async with httpx.AsyncClient() as c:
        r = await c.get(url)
    assert r.status_code == 200 and r.content == BODY
    assert provider.renewals == 1 and not provider.dead
    assert not [e for e in provider.events if e.action == "gave up"]


async def test_a_401_right_after_a_refresh_gives_up_naming_the_login(scripted) -> None:
    script, provider, url = scripted
    script += [401, 401]
    async with httpx.AsyncClient() as c:
        r = await c.get(url)
    assert r.status_code == 502 and "a fresh token was refused too" in r.text
    assert provider.renewals == 1 and provider.dead
