"""The loopback stream proxy with the demo service upstream, over real HTTP."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.helpers import Recorder
from tui.core.retry import RetryPolicy
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.proxy import StreamProxy
from tui.session.streams import SessionManager


@pytest.fixture
async def fast_session(resolver, tmp_path):
    from tui.session.store import TokenStore

    manager = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"),
                           policy=RetryPolicy(base=0.01, cap=0.05), max_streams=2)
    yield manager
    await manager.aclose()


def _proxy(session: SessionManager) -> StreamProxy:
    assert isinstance(session.relay, StreamProxy)
    return session.relay


def _actions(rec: Recorder, prefix: str) -> int:
    return sum(e.action.startswith(prefix) for e in rec.session_events)


async def _open(session: SessionManager, demo: DemoService, media_id: str = "t2"):
    info, url, proxied = await session.open("k", demo.watch_url(media_id))
    assert proxied and url.startswith("http://127.0.0.1:")
    direct = httpx.get(session.stream("k").url).content
    return url, direct


async def test_relays_whole_files_and_ranges(demo: DemoService, fast_session) -> None:
    url, direct = await _open(fast_session, demo)
    async with httpx.AsyncClient() as c:
        whole = await c.get(url)
        part = await c.get(url, headers={"Range": "bytes=5000-5999"})
        tail = await c.get(url, headers={"Range": f"bytes={len(direct) - 10}-"})
    assert whole.status_code == 200 and whole.content == direct
    assert part.status_code == 206 and part.content == direct[5000:6000]
    assert part.headers["Content-Range"] == f"bytes 5000-5999/{len(direct)}"
    assert tail.content == direct[-10:]


async def test_refuses_without_the_secret_or_with_a_foreign_host(demo, fast_session) -> None:
    url, _ = await _open(fast_session, demo)
    port = _proxy(fast_session).port
    async with httpx.AsyncClient() as c:
        assert (await c.get(f"http://127.0.0.1:{port}/wrong-secret/k")).status_code == 403
        assert (await c.get(url, headers={"Host": "evil.example"})).status_code == 403
        assert (await c.get(url, headers={"Host": f"attacker.test:{port}"})).status_code == 403
        assert (await c.get(url.rsplit("/", 1)[0] + "/nope")).status_code == 404
        assert (await c.get(url, headers={"Range": "bytes=0-9"})).status_code == 206


async def test_caps_concurrent_upstream_streams(demo, fast_session) -> None:
    url, _ = await _open(fast_session, demo)
    async with httpx.AsyncClient() as c:
        # Two slow readers hold both slots (max_streams=2) ...
        held = [await c.send(c.build_request("GET", url), stream=True) for _ in range(2)]
        proxy = _proxy(fast_session)
        assert proxy.active == 2
        third = await c.get(url, headers={"Range": "bytes=0-9"})
        assert third.status_code == 503
        for r in held:
            await r.aclose()

        async def freed() -> None:  # the proxy notices the hang-ups on its next write
            while proxy.active:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(freed(), 5)
        assert (await c.get(url, headers={"Range": "bytes=0-9"})).status_code == 206


async def test_expired_url_is_refreshed_and_the_request_reissued(demo, fast_session) -> None:
    url, direct = await _open(fast_session, demo)
    rec = Recorder(fast_session.bus)
    old = fast_session.stream("k").url
    demo.state.revoke_urls()  # every URL handed out so far now answers 403
    async with httpx.AsyncClient() as c:
        r = await c.get(url, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == direct[100:200]
    assert fast_session.stream("k").url != old
    assert _actions(rec, "refreshed") == 1 and _actions(rec, "recovered at byte") == 1


async def test_connections_cut_mid_body_resume_at_the_same_byte(demo, fast_session) -> None:
    url, direct = await _open(fast_session, demo, "t4")
    rec = Recorder(fast_session.bus)
    demo.options.drop_rate = 1.0  # every upstream response stops after 256 KiB
    async with httpx.AsyncClient() as c:
        r = await c.get(url)
    assert r.content == direct
    assert _actions(rec, "recovered at byte") >= len(direct) // (256 * 1024)


async def test_the_retry_log_names_a_cut_stream_by_its_title_once(demo, fast_session) -> None:
    """What a person reads: the stream named by its title (not the key `k`, not the
    reference), "upstream" said once per line."""
    url, direct = await _open(fast_session, demo, "t4")
    rec = Recorder(fast_session.bus)
    demo.options.drop_rate = 1.0
    async with httpx.AsyncClient() as c:
        r = await c.get(url, headers={"Range": "bytes=0-"})
    assert r.content == direct
    title = "Paper Kites"
    lines = [e.text for e in rec.session_events]
    assert any(line.startswith(f"stream · {title}: recovered at byte") for line in lines)
    assert all(e.resource.endswith(f" · {title}") for e in rec.session_events), lines
    assert all(line.count("upstream") <= 1 for line in lines), lines


async def test_a_burst_of_5xx_is_retried(demo, fast_session) -> None:
    url, direct = await _open(fast_session, demo)
    rec = Recorder(fast_session.bus)
    demo.options.fail_next = 2
    async with httpx.AsyncClient() as c:
        r = await c.get(url, headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and r.content == direct[:100]
    assert demo.state.counts["fault:503"] == 2      # the burst really happened
    assert _actions(rec, "retrying") == 2 and _actions(rec, "recovered at byte") == 1


async def test_a_total_outage_gives_up_and_marks_the_stream(demo, fast_session) -> None:
    url, _ = await _open(fast_session, demo)
    demo.options.fail_rate = 1.0
    async with httpx.AsyncClient() as c:
        r = await c.get(url, headers={"Range": "bytes=0-99"})
    assert r.status_code == 502
    assert fast_session.degraded("k")
    assert demo.state.counts["fault:503"] == fast_session.policy.attempts
