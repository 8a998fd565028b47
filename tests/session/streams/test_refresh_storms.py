"""Servers whose clocks or lifetimes make no sense cannot make ytplay renew in a loop
(issue: refresh storms). Against the real demo service with its clock set off ours, and
the pure rules underneath."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import Recorder
from tui.core.expiry import clock_note, lifetime_end, sane_interval, server_clock_offset
from tui.core.leases import RefreshRule
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.store import TokenStore
from tui.session.streams import SessionManager

# --- the rules -----------------------------------------------------------------------------


@given(issued=st.floats(0, 1e6), lifetime=st.floats(-1e5, 1e5), u=st.floats(0, 0.999))
def test_a_lease_is_never_renewed_sooner_than_the_floor(issued: float, lifetime: float,
                                                        u: float) -> None:
    rule = RefreshRule()
    at = rule.refresh_at(issued, issued + lifetime, u)
    assert at >= issued + rule.min_gap
    if lifetime > 0:
        assert at >= issued + rule.gap_fraction * lifetime


def test_a_relative_lifetime_beats_a_skewed_absolute_one() -> None:
    now = 1_800_000_000.0
    # The server's clock is 120 s behind: its absolute expiry looks 60 s in the past.
    assert lifetime_end(now, expires_in=60, expires_at=now - 60, offset=-120, default=5) == now + 60
    assert lifetime_end(now, expires_at=now - 60, offset=-120, default=5) == now + 60
    for nonsense in ("abc", None, float("nan"), -5, True):
        assert lifetime_end(now, expires_in=nonsense, default=300) == now + 300


def test_the_server_clock_offset_is_read_from_date() -> None:
    now = time.time()
    assert abs(server_clock_offset(formatdate(now - 120, usegmt=True), now) + 120) < 1.5
    assert server_clock_offset(formatdate(now, usegmt=True), now) == 0.0
    assert server_clock_offset("not a date", now) is None
    assert server_clock_offset(None, now) is None
    assert clock_note(-120) == "server clock behind by 2 min"
    assert clock_note(45) == "server clock ahead by 45 s" and clock_note(3) is None


def test_an_origin_clock_is_learnt_once_and_moved_only_materially() -> None:
    from tui.session.streams._origin_clocks import OriginClocks

    learnt: list[tuple[str, float]] = []
    # Date has whole seconds: -300 reads as -300 to -301, to the nearest ten it is -300
    clocks = OriginClocks(lambda origin, offset: learnt.append((origin, round(offset, -1))))
    url = "https://media.example/a.wav?expire=1"

    def answer(offset: float, **more: str) -> None:
        clocks.heard(url, {"Date": formatdate(time.time() + offset, usegmt=True), **more})
    assert clocks.offset(url) == 0.0                         # nothing said yet
    answer(-300)
    answer(-301)                                             # Date's whole seconds: noise
    assert learnt == [("https://media.example:443", -300)]
    assert abs(clocks.offset("https://media.example/b?x=1") + 300) < 2   # per origin
    assert clocks.offset("https://other.example/") == 0.0
    answer(-200)                                             # it moved: told again
    assert [o for _, o in learnt] == [-300, -200]
    clocks.heard(url, {"Date": "not a date"})
    clocks.heard(url, {})
    assert len(learnt) == 2


def test_a_stream_read_on_a_wrong_clock_is_moved_onto_ours() -> None:
    from tui.session.streams._sources import Stream

    read = Stream("https://m.example/a?expire=1000", expires_at=1300.0, origin_offset=-300.0)
    assert read.on_clock(-200.0).expires_at == 1200.0       # expire=1000 on its clock
    assert read.on_clock(-200.0).origin_offset == -200.0
    granted = Stream("https://m.example/b", expires_at=500.0)  # the protocol's, ours already
    assert granted.on_clock(-200.0) is granted
    unsaid = Stream("https://m.example/c.m3u8", origin_offset=0.0)  # no expiry of its own
    moved = unsaid.on_clock(-200.0)
    assert moved.origin_offset == -200.0 and moved.expires_at is None


@pytest.mark.parametrize("value", [0, -3, "x", float("inf"), 10**9, None])
def test_nonsense_intervals_are_refused(value: object) -> None:
    assert sane_interval(value) is None
    assert sane_interval(15) == 15.0


# --- against the demo service ----------------------------------------------------------------


def _with_demo(demo: DemoService, resolver, tmp_path: Path) -> tuple[SessionManager, Recorder]:
    """A session that logs in to `demo` as its "demo" service, and what it reports."""
    session: SessionManager = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"))

    async def password() -> str:
        return "demo"
    session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                        password=password)
    return session, Recorder(session.bus)


async def _watch(options: DemoOptions, resolver, tmp_path: Path, ref: str, seconds: float):
    """Open `ref` and let the session keep it alive for `seconds`: the scenario itself."""
    with DemoService(options) as demo:
        session, rec = _with_demo(demo, resolver, tmp_path)
        await session.open("k", ref if ":" in ref else demo.watch_url(ref))
        await asyncio.sleep(seconds)
        notes = {lease.last_error for lease in session.book.values() if lease.last_error}
        await session.aclose()
        return demo, rec, notes


def _refreshed(rec: Recorder, prefix: str) -> int:
    return sum(e.action == "refreshed" and e.resource.startswith(prefix)
               for e in rec.session_events)


@pytest.mark.parametrize("offset", [-120.0, 120.0])
@pytest.mark.timeout(60)
async def test_a_server_clock_two_minutes_off_starts_no_storm(demo_options, resolver, tmp_path,
                                                              offset: float) -> None:
    demo_options.clock_offset = offset
    demo, rec, notes = await _watch(demo_options, resolver, tmp_path, "demo:t1", 6.0)
    assert demo.state.authority.issued == 1                 # one login, no refresh loop
    assert demo.state.counts["session:heartbeat"] <= 1
    assert _refreshed(rec, "stream URL") <= 1
    side = "behind" if offset < 0 else "ahead"
    assert f"server clock {side} by 2 min" in notes        # said where the leases are shown


@pytest.mark.timeout(60)
async def test_a_heartbeat_interval_of_minus_three_is_replaced(demo_options, resolver,
                                                               tmp_path) -> None:
    demo_options.heartbeat_interval = -3
    demo, rec, _ = await _watch(demo_options, resolver, tmp_path, "demo:t1", 6.0)
    assert demo.state.counts["session:heartbeat"] == 0      # the 30 s default, not a loop
    odd = [e for e in rec.session_events if e.action == "odd answer"]
    assert len(odd) == 1 and "heartbeat_interval" in (odd[0].error or "")


@pytest.mark.timeout(60)
async def test_a_url_that_arrives_expired_is_renewed_with_backoff(demo_options, resolver,
                                                                 tmp_path) -> None:
    # yt-dlp's URLs carry an absolute expiry on the server's clock, with no Date to correct
    # it: 2 minutes behind, every URL looks expired on arrival.
    demo_options.clock_offset = -120.0
    demo_options.url_ttl = 60
    _demo, rec, notes = await _watch(demo_options, resolver, tmp_path, "t1", 8.0)
    assert _refreshed(rec, "stream URL") <= 2               # after 5 s, then 10 s more
    assert "arrived already expired" in notes


@pytest.mark.timeout(60)
async def test_short_lived_urls_resolved_ahead_are_not_re_resolved_every_second(
        demo_options, resolver, tmp_path) -> None:
    from tests.session.playback.test_playback import CountingResolver

    demo_options.url_ttl = 8
    with DemoService(demo_options) as demo:
        counting = CountingResolver(resolver)
        session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
        session.look_ahead([(1, demo.watch_url("t2")), (2, demo.watch_url("t3"))])
        await asyncio.sleep(7.0)  # the scenario: the look-ahead keeps them for 7 s
        calls = len(counting.calls)
        await session.aclose()
    assert calls <= 4, f"{calls} resolves in 7 s"           # was one a second for each


@pytest.mark.timeout(60)
async def test_urls_resolved_ahead_that_arrive_expired_back_off(demo_options, resolver,
                                                               tmp_path) -> None:
    """Nothing read the origin's clock (nothing played yet): what is resolved ahead
    arrives expired, and is resolved again after 5 s, then 10, 20 … as an open stream is;
    it was every 5 s, for ever, for each item coming up."""
    from tests.session.playback.test_playback import CountingResolver

    demo_options.clock_offset = -300.0
    with DemoService(demo_options) as demo:
        counting = CountingResolver(resolver)
        session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
        shown = asyncio.Event()
        session.book.on_change = shown.set   # each resolve ahead puts its row

        async def resolved(n: int) -> None:
            while len(counting.resolved) < n:
                shown.clear()
                await shown.wait()
        session.look_ahead([(2, demo.watch_url("t2"))])
        await asyncio.wait_for(resolved(3), 45)
        row = session.book.get("ahead:2")
        await session.aclose()
    first, second, third = (when for _ref, when, _expires in counting.resolved)
    # The waits between them double (5 s, then 10 s, each plus the resolve's own time).
    assert (third - second) - (second - first) > 4.0, counting.resolved
    assert row is not None and row.last_error == "arrived already expired"


# --- yt-dlp's own expiry on a clock five minutes off, through the proxy -----------------------


async def _played_through_the_proxy(session: SessionManager, url: str) -> None:
    """A read through the loopback proxy, as libmpv's first: the origin answers, and its
    `Date` says its clock."""
    import httpx

    async with httpx.AsyncClient() as c:
        r = await c.get(url, headers={"Range": "bytes=0-4095"})
    assert r.status_code == 206


@pytest.mark.timeout(60)
async def test_a_clock_five_minutes_behind_resolves_each_item_once(demo_options, resolver,
                                                                   tmp_path) -> None:
    """Every `expire=` looks five minutes past on arrival; yt-dlp re-resolved the items
    resolved ahead every 5 s and the open one in a loop (27 extractions a minute)."""
    from collections import Counter

    from tests.session.playback.test_playback import CountingResolver

    demo_options.clock_offset = -300.0
    with DemoService(demo_options) as demo:
        counting = CountingResolver(resolver)
        session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
        rec = Recorder(session.bus)
        session.look_ahead([(2, demo.watch_url("t2")), (3, demo.watch_url("t3"))])
        _info, url, proxied = await session.open("k", demo.watch_url("t1"))
        assert proxied
        await _played_through_the_proxy(session, url)
        await rec.wait_for(lambda: any("behind by 5 min" in e.text for e in rec.session_events))
        await rec.wait_for(lambda: len(session.ahead.streams) == 2
                           and all(f.done() for f in session.ahead.streams.values()))
        await asyncio.sleep(12.0)  # the window: a loop would resolve again within it
        calls = Counter(counting.calls)
        rows = {key: session.book.get(key) for key in ("url:k", "ahead:2", "ahead:3")}
        await session.aclose()
    assert set(calls.values()) == {1}, calls                 # each item resolved once
    assert _refreshed(rec, "stream URL") == 0
    for key, row in rows.items():
        assert row is not None and row.last_error == "server clock behind by 5 min", (key, row)
        assert row.expires_at is not None and row.expires_at > time.time() + 60, (key, row)


@pytest.mark.timeout(60)
async def test_a_clock_five_minutes_ahead_renews_the_url_before_it_dies(demo_options, resolver,
                                                                        tmp_path) -> None:
    """`expire=` says five minutes longer than the URL lives: it was shown "fresh 5m10s"
    and died at its real expiry, recovered only after the 403. Read on the origin's clock,
    it is renewed ahead of that, and nothing is refused."""
    import httpx

    from tui.core.expiry import parse_url_expiry

    demo_options.clock_offset = 300.0
    demo_options.url_ttl = 12
    with DemoService(demo_options) as demo:
        session = make_session(resolver, token_store=TokenStore(tmp_path / "t.json"))
        rec = Recorder(session.bus)
        _info, url, _ = await session.open("k", demo.watch_url("t1"))
        first = session.stream("k").url
        dies = parse_url_expiry(first) - 300.0          # on our clock
        await _played_through_the_proxy(session, url)
        lease = session.book.get("url:k")
        assert lease is not None and lease.expires_at is not None
        assert abs(lease.expires_at - dies) < 3 and lease.last_error == "server clock ahead by 5 min"
        await rec.wait_for(lambda: _refreshed(rec, "stream URL · Low Tide") >= 1)
        assert time.time() < dies                       # renewed before the URL died
        await asyncio.sleep(max(0.0, dies + 1.5 - time.time()))   # until the first has died
        await _played_through_the_proxy(session, url)
        assert demo.state.counts["media:expired"] == 0   # no 403 to recover from
        assert not [e for e in rec.session_events if e.action.startswith("recovered")]
        assert httpx.get(first).status_code == 403       # the first URL had died indeed
        await session.aclose()


@pytest.mark.timeout(60)
async def test_a_renewal_for_the_heartbeat_says_so(demo_options, resolver, tmp_path) -> None:
    """The session protocol's heartbeat hands out a new URL long before the one held
    expires: the Retry log says why it renews, not "expiring soon"."""
    demo_options.heartbeat_interval = 6  # just above the floor between renewals (5 s)
    demo_options.url_ttl = 3600
    with DemoService(demo_options) as demo:
        session, rec = _with_demo(demo, resolver, tmp_path)
        await session.open("k", "demo:t1")

        def renewals() -> list[str]:
            return [e.action for e in rec.session_events if e.resource.startswith("stream URL")]
        try:
            await rec.wait_for(lambda: "refreshed" in renewals())
        finally:
            await session.aclose()
    assert renewals()[:2] == ["refreshing (heartbeat)", "refreshed"]
    assert demo.state.counts["session:heartbeat"] == 1, dict(demo.state.counts)
