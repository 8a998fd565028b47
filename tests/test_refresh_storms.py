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
from tui.session.manager import SessionManager
from tui.session.token_store import TokenStore

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


@pytest.mark.parametrize("value", [0, -3, "x", float("inf"), 10**9, None])
def test_nonsense_intervals_are_refused(value: object) -> None:
    assert sane_interval(value) is None
    assert sane_interval(15) == 15.0


# --- against the demo service ----------------------------------------------------------------


async def _watch(options: DemoOptions, resolver, tmp_path: Path, ref: str, seconds: float):
    """Open `ref` and let the session keep it alive for `seconds`: the scenario itself."""
    with DemoService(options) as demo:
        session: SessionManager = make_session(resolver,
                                               token_store=TokenStore(tmp_path / "t.json"))
        rec = Recorder(session.bus)

        async def password() -> str:
            return "demo"
        session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                            password=password)
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
    from tests.test_playback import CountingResolver

    demo_options.url_ttl = 8
    with DemoService(demo_options) as demo:
        counting = CountingResolver(resolver)
        session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
        session.look_ahead([(1, demo.watch_url("t2")), (2, demo.watch_url("t3"))])
        await asyncio.sleep(7.0)  # the scenario: the look-ahead keeps them for 7 s
        calls = len(counting.calls)
        await session.aclose()
    assert calls <= 4, f"{calls} resolves in 7 s"           # was one a second for each
