"""End to end through the demo service with real libmpv (ao=null): credentials expire
under a paused and seeking player, and playback carries on where it was."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.helpers import LEAN_CACHE, Recorder, counting_player
from tui.core.events import Level
from tui.core.nowplaying import PlayState
from tui.core.retry import RetryPolicy
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.playback import Playback
from tui.session.store import TokenStore

@pytest.fixture
def short_lived(demo_options: DemoOptions) -> DemoOptions:
    demo_options.token_ttl = 5
    demo_options.url_ttl = 5
    demo_options.streams_need_token = True
    return demo_options


@pytest.fixture
async def rig(short_lived: DemoOptions, resolver, tmp_path: Path):
    with DemoService(short_lived) as demo:
        session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                                 policy=RetryPolicy(base=0.05, cap=0.5))

        async def password() -> str:
            return "demo"
        session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                            password=password)
        loads: list[str] = []
        player = counting_player(loads, ao="null", extra_options=LEAN_CACHE)
        pb = Playback(player, session)
        rec = Recorder(pb.bus)
        pb.attach()
        rec.loads = loads  # type: ignore[attr-defined]
        yield demo, session, pb, rec
        await pb.aclose()
        player.close()


async def _seek_and_check(pb: Playback, rec: Recorder, delta: float) -> None:
    target = (rec.now.position or 0) + delta
    pb.seek(delta)
    try:
        await rec.wait_for(lambda: rec.now.position is not None
                           and abs(rec.now.position - target) < 1.0, timeout=20)
    except TimeoutError:
        pytest.fail(f"seek to {target:.1f} never landed; at {rec.now.position}")
    landed = rec.now.position
    await rec.wait_for(lambda: (rec.now.position or 0) >= landed + 1.0)  # and plays on


@pytest.mark.timeout(120)
async def test_pause_past_every_expiry_then_seek(rig) -> None:
    demo, session, pb, rec = rig
    pb.add(["demo:t1"])
    pb.play(0, start=40.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING and (rec.now.position or 0) > 41)

    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PAUSED)
    paused_at = rec.now.position or 0
    await asyncio.sleep(12)  # the scenario itself: every token and URL outlives its 5 s
    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    await rec.wait_for(lambda: (rec.now.position or 0) >= paused_at + 1.0)
    assert (rec.now.position or 0) < paused_at + 3.0  # carried on, did not jump

    demo.state.revoke_urls()  # and the URL libmpv's next request would use is dead too
    await _seek_and_check(pb, rec, -30)
    await _seek_and_check(pb, rec, +60)

    assert not [e for e in rec.logs if e.level is Level.ERROR]
    assert len(rec.loads) == 1                    # never reloaded: the proxy recovered
    actions = [e.action for e in rec.session_events]
    assert any(a.startswith("recovered at byte") for a in actions)
    assert actions.count("refreshed") >= 2        # URLs refreshed ahead and on demand
    assert demo.state.counts["token:refresh_token"] >= 2  # the access token was renewed
    assert demo.state.authority.revocations == 0
    assert pb.queue[0].status.value == "playing"


@pytest.mark.timeout(90)
async def test_burst_recovers_and_outage_pauses_with_a_message(rig) -> None:
    demo, session, pb, rec = rig
    pb.add(["demo:t2"])
    pb.play(0, start=20.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING and (rec.now.position or 0) > 21)

    demo.options.fail_next = 2
    await _seek_and_check(pb, rec, +30)
    assert not [e for e in rec.logs if e.level is Level.ERROR] and len(rec.loads) == 1
    assert any(e.action == "retrying" for e in rec.session_events)

    demo.options.fail_rate = 1.0  # the service is gone
    pb.seek(+40)
    await rec.wait_for(lambda: rec.now.status.startswith("paused:"), timeout=60)
    assert rec.now.state is PlayState.HOLDING
    assert pb.queue[0].status.value == "queued"   # held for the user, not skipped
    assert pb.queue.current_index == 0
    assert any(e.action == "gave up" for e in rec.session_events)


@pytest.mark.timeout(90)
async def test_a_refresh_that_gives_up_holds_naming_the_item_once(rig) -> None:
    demo, session, pb, rec = rig
    pb.add(["demo:t2"])
    pb.play(0, start=20.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING and (rec.now.position or 0) > 21)
    demo.state.revoke_urls()      # the URL dies, and renewing it meets a service that is gone
    demo.options.fault_paths = ("/api/",)
    demo.options.fail_rate = 1.0
    pb.seek(+40)
    await rec.wait_for(lambda: rec.now.state is PlayState.HOLDING, timeout=60)
    held = [e.text for e in rec.logs if e.text.endswith("paused here")]
    assert held and "gave up" in held[-1], held
    assert held[-1].count("Copper Lanterns") == 1, held       # "Copper Lanterns: playback
    assert rec.now.status.count("Copper Lanterns") == 0       # session: gave up …"
