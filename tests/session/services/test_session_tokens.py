"""Tokens against the real demo service over loopback HTTP: single-flight, rotation with
reuse detection, 401 replayed at most once, deterministic errors never retried."""

from __future__ import annotations

import asyncio
import random
import stat
import time
from pathlib import Path

import httpx
import pytest

from tui.core.errors import GaveUp, LoginRequired, ServiceError
from tui.core.events import SessionEvent
from tui.core.retry import RetryBudget, RetryPolicy
from tui.core.clock import SystemClock
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.session.leases import LeaseBook, LeaseScheduler, Retrier
from tui.session.services import SessionApiClient, TokenManager
from tui.session.store import TokenStore

FAST = RetryPolicy(base=0.01, cap=0.05, attempts=4)


class Rig:
    def __init__(self, demo: DemoService, tmp_path: Path, *, budget: float = 50,
                 password: str | None = "demo") -> None:
        self.events: list[SessionEvent] = []
        self.http = httpx.AsyncClient(timeout=5)
        self.store = TokenStore(tmp_path / "tokens.json")
        self.retrier = Retrier(FAST, RetryBudget(SystemClock(), capacity=budget, per_second=0),
                               self.events.append, random.Random(3))
        self.client = SessionApiClient(demo.base_url, "ytplay", self.http)

        async def pw() -> str | None:
            return password
        self.tokens = TokenManager("demo", self.client, self.store, username="demo", password=pw,
                                   scheduler=LeaseScheduler(), retrier=self.retrier,
                                   book=LeaseBook())

    async def close(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def rig(demo: DemoService, tmp_path: Path):
    r = Rig(demo, tmp_path)
    yield r
    await r.close()


async def test_hundred_callers_at_expiry_make_one_request(demo: DemoService, rig: Rig) -> None:
    await rig.tokens.token()
    before = sum(v for k, v in demo.state.counts.items() if k.startswith("token:"))
    rig.tokens.expires_at = time.time() - 1  # the access token has just expired
    tokens = await asyncio.gather(*(rig.tokens.token() for _ in range(100)))
    after = sum(v for k, v in demo.state.counts.items() if k.startswith("token:"))
    assert after - before == 1
    assert len(set(tokens)) == 1


async def test_rotation_in_normal_use_never_revokes(demo: DemoService, rig: Rig) -> None:
    await rig.tokens.token()
    for _ in range(10):
        rig.tokens.expires_at = 0
        await asyncio.gather(*(rig.tokens.token() for _ in range(5)))
    assert demo.state.authority.revocations == 0
    assert demo.state.counts["token:password"] == 1
    assert demo.state.counts["token:refresh_token"] == 10
    # What is on disk is the newest refresh token, readable by its owner only.
    assert stat.S_IMODE(rig.store.path.stat().st_mode) == 0o600
    newest = rig.store.load("demo")
    assert newest is not None
    r = httpx.post(f"{demo.base_url}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": newest, "client_id": "ytplay"})
    assert r.status_code == 200


async def test_a_rejected_token_already_replaced_causes_no_request(demo: DemoService,
                                                                  rig: Rig) -> None:
    old = await rig.tokens.token()
    rig.tokens.expires_at = 0
    new = await rig.tokens.token()
    grants = rig.tokens.grants
    assert await rig.tokens.refresh(rejected=old) == new
    assert rig.tokens.grants == grants


async def test_401_is_replayed_at_most_once(demo_options: DemoOptions, tmp_path: Path) -> None:
    demo_options.token_ttl = -1  # every access token the service issues is already expired
    with DemoService(demo_options) as demo:
        rig = Rig(demo, tmp_path)
        rig.tokens.expires_at = 0
        with pytest.raises(ServiceError) as e:
            await rig.tokens.authorized("library", rig.client.library)
        await rig.close()
    assert e.value.failure.status == 401
    assert demo.state.counts["api:401"] == 2          # the call and its one replay
    assert rig.tokens.grants == 2                     # the login and one refresh


async def test_deterministic_errors_are_not_retried(demo: DemoService, rig: Rig) -> None:
    for _ in range(demo.options.stream_limit):
        await rig.tokens.authorized("s", lambda t: rig.client.start_session(t, "t1", "d"))
    with pytest.raises(ServiceError) as e:
        await rig.tokens.authorized("s", lambda t: rig.client.start_session(t, "t1", "d"))
    assert e.value.failure.code == "stream_limit"
    assert demo.state.counts["session:stream_limit"] == 1
    with pytest.raises(ServiceError) as e:
        await rig.tokens.authorized("s", lambda t: rig.client.start_session(t, "nope", "d"))
    assert e.value.failure.code == "unknown_media"
    assert not any(ev.action == "retrying" for ev in rig.events)


async def test_transient_failures_retry_then_give_up(demo: DemoService, rig: Rig) -> None:
    await rig.tokens.token()
    demo.options.fail_next = 2
    items = await rig.tokens.authorized("library", rig.client.library)
    assert len(items) == 6
    assert [ev.attempt for ev in rig.events if ev.action == "retrying"] == [2, 3]
    demo.options.fail_rate = 1.0
    with pytest.raises(GaveUp):
        await rig.tokens.authorized("library", rig.client.library)
    assert any(ev.action == "gave up" and ev.attempt == 4 for ev in rig.events)


async def test_the_global_budget_stops_a_retry_storm(demo: DemoService, tmp_path: Path) -> None:
    rig = Rig(demo, tmp_path, budget=3)
    await rig.tokens.token()
    demo.options.fail_rate = 1.0
    before = demo.state.counts["fault:503"]
    for _ in range(3):
        with pytest.raises(GaveUp):
            await rig.tokens.authorized("library", rig.client.library)
    await rig.close()
    # 3 first attempts + the 3 retries the budget allowed; without it there would be 12.
    assert demo.state.counts["fault:503"] - before == 6
    assert sum("budget exhausted" in (ev.error or "") for ev in rig.events) == 2


async def test_revoked_family_logs_in_again(demo: DemoService, rig: Rig) -> None:
    await rig.tokens.token()
    stolen = rig.store.load("demo")
    rig.tokens.expires_at = 0
    await rig.tokens.token()                              # rotates; `stolen` is now used
    httpx.post(f"{demo.base_url}/oauth/token", data={     # someone replays it: family revoked
        "grant_type": "refresh_token", "refresh_token": stolen, "client_id": "ytplay"})
    assert demo.state.authority.revocations == 1
    rig.tokens.expires_at = 0
    assert await rig.tokens.token()
    assert demo.state.counts["token:password"] == 2       # logged in afresh, no user needed
    assert any(ev.action == "rejected" for ev in rig.events)


async def test_no_password_means_login_required(demo: DemoService, tmp_path: Path) -> None:
    rig = Rig(demo, tmp_path, password=None)
    with pytest.raises(LoginRequired):
        await rig.tokens.token()
    await rig.close()


async def test_a_failure_names_the_token_once(demo: DemoService, rig: Rig) -> None:
    demo.options.fail_rate = 1.0
    with pytest.raises(GaveUp):
        await rig.tokens.token()
    failed = [ev for ev in rig.events if ev.action == "failed"]
    assert len(failed) == 1 and failed[0].text.count("access token · demo") == 1, failed
    assert failed[0].error is not None and failed[0].error.startswith("gave up after 4")
    row = rig.tokens.book.get("token:demo")
    assert row is not None and row.last_error == failed[0].error   # its row names it too


async def test_each_demo_run_logs_in_afresh_without_an_error(demo_options: DemoOptions,
                                                            tmp_path: Path) -> None:
    """`ytplay --demo` twice: the demo is a new service every run, so the second run has no
    refresh token of the first to be refused ("refresh token · demo: rejected")."""
    from contextlib import ExitStack

    from tests.helpers import until
    from tui import cli
    from tui.factory import build
    from tui.runtime_config import load_config

    for _run in range(2):
        with DemoService(demo_options) as demo, ExitStack() as resources:
            args = cli.parser().parse_args(["--demo", "--ao", "null"])
            path = tmp_path / "config.toml"
            app = build(args, load_config(path), path, resources, demo=demo)
            async with app.run_test(size=(120, 36)) as pilot:
                await until(pilot, lambda: demo.state.counts["session:start"] >= 1, 20)
                rows = app.playback.session.book
                assert rows.get("token:demo") is not None
                assert rows.get("token:demo").last_error is None   # type: ignore[union-attr]
        assert demo.state.counts["token:password"] == 1
        assert demo.state.counts["token:refresh_token"] == 0
