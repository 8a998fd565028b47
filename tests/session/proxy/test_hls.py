"""HLS whose playlist and segment URLs expire, end to end: the demo service's HLS pages
resolved by real yt-dlp, played by real libmpv (ao=null) through the proxy's HLS relay
(tui/session/proxy/_hls_relay.py). Segments are a second long and their URLs live 3 s, so a
few seconds of media cross several lifetimes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.helpers import LEAN_CACHE, Recorder, counting_player
from tui.core.events import Level
from tui.core.leases import LeaseKind, RefreshRule
from tui.core.models import QueueItem
from tui.core.nowplaying import PlayState
from tui.core.retry import RetryPolicy
from tui.demo.catalog import LIVE_ID, LIVE_TITLE
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.playback import Playback
from tui.session.store import TokenStore

SEGMENT_TTL = 3


@pytest.fixture
def hls_options(demo_options: DemoOptions) -> DemoOptions:
    demo_options.segment_seconds = 1.0
    demo_options.segment_ttl = SEGMENT_TTL
    demo_options.url_ttl = 8          # the playlists' own URLs
    demo_options.live_window = 6
    return demo_options


@pytest.fixture
async def rig(hls_options: DemoOptions, resolver, tmp_path: Path):
    with DemoService(hls_options) as demo:
        # A refresh window that fits lifetimes of seconds (the default floor is 5 s).
        session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                               policy=RetryPolicy(base=0.05, cap=0.5),
                               rule=RefreshRule(min_window=1.0, min_gap=1.0))
        loads: list[str] = []
        # libmpv reads 2 s ahead and keeps nothing behind: every seek, every resume after a
        # pause goes back to the relay for segments.
        player = counting_player(loads, ao="null", extra_options=LEAN_CACHE)
        pb = Playback(player, session)
        rec = Recorder(pb.bus)
        pb.attach()
        rec.loads = loads  # type: ignore[attr-defined]
        yield demo, session, pb, rec
        await pb.aclose()
        player.close()


def _position(rec: Recorder) -> float:
    return rec.now.position or 0.0


async def _playing_past(rec: Recorder, position: float, timeout: float = 30) -> None:
    try:
        await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING
                           and _position(rec) >= position, timeout=timeout)
    except TimeoutError:
        pytest.fail(f"never played past {position}: {rec.now.state}, at {rec.now.position}, "
                    f"{rec.now.status!r}")


def _actions(rec: Recorder) -> list[str]:
    return [e.action for e in rec.session_events]


def _no_errors(rec: Recorder) -> None:
    assert not [e for e in rec.logs if e.level is Level.ERROR]
    assert not [e for e in rec.session_events if e.action == "gave up"]


async def _pause_for(pb: Playback, rec: Recorder, seconds: float) -> float:
    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PAUSED)
    paused_at = _position(rec)
    await asyncio.sleep(seconds)  # the scenario itself: the URLs outlive their lifetime
    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    return paused_at


@pytest.mark.timeout(120)
async def test_vod_plays_through_expiry_a_long_pause_and_a_seek(rig) -> None:
    demo, session, pb, rec = rig
    lifetimes: list[float] = []  # each time the stream's lease changes: how long it has

    def lease_changed() -> None:
        for lease in session.book.values():
            if lease.kind is LeaseKind.STREAM_URL and lease.expires_at is not None:
                lifetimes.append(lease.expires_at - time.time())
    session.book.on_change = lease_changed
    pb.add([demo.hls_url("t4")])
    pb.play(0)
    await _playing_past(rec, 2 * SEGMENT_TTL + 1)  # segments fetched across lifetimes
    assert rec.loads[0].endswith("/index.m3u8")     # libmpv plays the relay's playlist
    assert "refreshed" in _actions(rec)             # renewed ahead, before they expired

    paused_at = await _pause_for(pb, rec, SEGMENT_TTL + 2)
    await _playing_past(rec, paused_at + 1.0)
    assert _position(rec) < paused_at + 3.0         # carried on from the pause, no jump

    target = _position(rec) + 40
    pb.seek(40)
    try:
        await rec.wait_for(lambda: abs(_position(rec) - target) < 1.5, timeout=30)
    except TimeoutError:
        pytest.fail(f"the seek to {target:.1f} never landed; at {rec.now.position}")
    await _playing_past(rec, target + 1.0)

    _no_errors(rec)
    assert len(rec.loads) == 1                      # never reloaded
    assert demo.state.counts["hls:segment"] >= 8
    assert pb.queue[0].status.value == "playing"
    # The stream's lease ran out with its segments (3 s), not its playlist URL (8 s).
    assert min(lifetimes) <= SEGMENT_TTL + 0.5
    assert _actions(rec).count("refreshed") >= 3


@pytest.mark.timeout(120)
async def test_a_refused_segment_is_renewed_and_replayed_at_the_same_place(rig) -> None:
    demo, session, pb, rec = rig
    pb.add([demo.hls_url("t2")])
    pb.play(0, start=20.0)
    await _playing_past(rec, 22.0)
    resolves = demo.state.counts["hls:master"]

    demo.options.deny_segments = 1               # the next segment is answered 403
    demo.state.revoke_urls()                     # and every URL handed out so far is dead
    await rec.wait_for(lambda: demo.state.counts["fault:segment-403"] == 1, timeout=15)
    at = _position(rec)
    # The very segment refused was fetched again (from the new playlist) and relayed.
    await rec.wait_for(lambda: any(a.startswith("recovered at segment") for a in _actions(rec)),
                       timeout=20)
    await _playing_past(rec, at + 2.0)
    assert _position(rec) < at + 5.0             # the same place, not skipped ahead

    _no_errors(rec)
    assert len(rec.loads) == 1
    assert demo.state.counts["hls:master"] > resolves   # resolved again through yt-dlp


def _served(demo: DemoService) -> list[int]:
    return [seq for stream, seq in demo.state.segments_served if stream == "live"]


@pytest.mark.timeout(120)
async def test_live_slides_expires_and_resumes_at_the_live_edge(rig) -> None:
    demo, session, pb, rec = rig
    pb.add([demo.hls_url("live")])
    pb.play(0)
    await _playing_past(rec, 0.5)
    started = _position(rec)
    await _playing_past(rec, started + SEGMENT_TTL + 2)  # the window slid, URLs expired
    assert demo.state.counts["hls:playlist"] >= 3        # libmpv reloads the live playlist
    assert rec.loads[0].endswith("/index.m3u8")

    pause = 2 * SEGMENT_TTL + 2  # longer than a segment's lifetime and the relayed window
    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PAUSED)
    last_before = _served(demo)[-1]
    await asyncio.sleep(pause)  # the scenario itself: the window moves on, URLs expire
    before = len(_served(demo))  # less what libmpv read ahead while paused
    pb.toggle_pause()
    await rec.wait_for(lambda: len(_served(demo)) > before and rec.now.state is PlayState.PLAYING,
                       timeout=20)
    # On at the live edge: the next segment is about `pause` segments on, not the next one.
    # (With libmpv's cache, continuing would have played what it fetched while paused.)
    assert _served(demo)[before] >= last_before + pause - 3, _served(demo)[before - 3:]
    await _playing_past(rec, _position(rec) + 1.0)

    _no_errors(rec)
    assert rec.loads[1:] == [rec.loads[0]]               # the same relay URL, loaded afresh
    assert pb.queue[0].status.value == "playing"
    assert any(e.action.startswith("refreshed") for e in rec.session_events)


@pytest.mark.timeout(120)
async def test_the_live_station_shows_live_with_no_duration_and_keeps_its_title(rig) -> None:
    """libmpv reports of live HLS a duration that grows as it reloads the playlist (0:05,
    then 0:09 …) and yt-dlp dates a live stream's title ("Demo Radio (live) 2026-12-07
    11:36"). The relay reads a playlist with no end: Now Playing says live, shows no
    duration and no seek bar, and the title stays the one queued; seeking does nothing."""
    from tests.helpers import until
    from tui.ui.app import YtplayApp
    from tui.ui.widgets.now_playing import NowPlayingText

    demo, session, pb, rec = rig
    pb.queue.extend([QueueItem(ref=demo.hls_url(LIVE_ID), title=LIVE_TITLE)])
    pb.detach()  # the app attaches it
    async with YtplayApp(pb).run_test(size=(120, 36)) as pilot:
        pb.play(0)
        await _playing_past(rec, 0.5)
        reloads = demo.state.counts["hls:playlist"]
        await _playing_past(rec, _position(rec) + 2 * SEGMENT_TTL)  # the window slid on
        assert demo.state.counts["hls:playlist"] > reloads  # libmpv reloaded the playlist
        assert rec.now.live
        since_audio = rec.history[next(i for i, n in enumerate(rec.history)
                                       if n.state is PlayState.PLAYING):]
        assert [n.duration for n in since_audio if n.duration is not None] == []
        assert {n.title for n in rec.history if n.index is not None} == {LIVE_TITLE}
        assert pb.queue[0].title == LIVE_TITLE and pb.queue[0].duration is None

        text = pilot.app.query_one(NowPlayingText)
        await until(pilot, lambda: "/ live" in text.render_now(text.now).renderables[2].plain)
        drawn = "\n".join(line.text for line in text.render_lines(text.region.reset_offset))
        assert LIVE_TITLE in drawn and "/ live" in drawn and "━" not in drawn, drawn

        at = _position(rec)
        pb.seek(-30)
        pb.seek_to(0.0)
        await _playing_past(rec, at + 1.0)
        assert _position(rec) < at + 3.0          # on where it was, not sent back to 0
        _no_errors(rec)


# --- the relay over real HTTP, without libmpv ----------------------------------------------

async def test_the_relay_names_segments_by_sequence_and_relays_their_bytes(
        hls_options: DemoOptions, session) -> None:
    import httpx

    with DemoService(hls_options) as demo:
        _info, url, proxied = await session.open("k", demo.hls_url("t4"))
        assert proxied and url.startswith("http://127.0.0.1:") and url.endswith("/index.m3u8")
        upstream = session.stream("k").url
        async with httpx.AsyncClient() as c:
            relayed = (await c.get(url)).text
            names = [line for line in relayed.splitlines() if not line.startswith("#")]
            assert names[:3] == ["0.ts", "1.ts", "2.ts"] and "sig=" not in relayed
            direct = [line for line in (await c.get(upstream)).text.splitlines()
                      if not line.startswith("#")]
            assert len(names) == len(direct)
            segment = await c.get(url.replace("index.m3u8", "5.ts"))
            assert segment.status_code == 200
            assert segment.content == (await c.get(demo.base_url + direct[5])).content
            assert segment.content[:1] == b"\x47"  # an MPEG-TS sync byte
            assert (await c.get(url.replace("index.m3u8", f"{len(names)}.ts"))).status_code == 404
            wrong = url.replace(url.split("/")[3], "not-the-secret")
            assert (await c.get(wrong)).status_code == 403
            assert (await c.get(wrong.replace("index.m3u8", "5.ts"))).status_code == 403


class _Provider:
    """The manager's side of the relay, as far as the relay needs it, for one fixed URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.read: list[tuple[float | None, bool]] = []

    def upstream(self, key: str):  # -> Upstream
        from tui.session.proxy import Upstream

        return Upstream(self.url)

    def playlist_read(self, key: str, expires_at: float | None, live: bool) -> None:
        self.read.append((expires_at, live))

    def name(self, key: str) -> str:
        return key

    def answered(self, url: str, headers) -> None:
        pass  # its clock is ours

    def clock_offset(self, url: str) -> float:
        return 0.0

    def emit(self, event) -> None:
        pass


async def _never_fails(*args) -> None:
    raise AssertionError(f"nothing should fail here: {args}")


async def _master_url(http, demo: DemoService, stream: str) -> str:
    page = (await http.get(demo.hls_url(stream))).text
    return page.split('"contentUrl": "')[1].split('"')[0]


async def test_a_master_playlist_is_relayed_through_its_audio_variant(demo) -> None:
    """yt-dlp hands ytplay the variant; a resolver that hands over the master works too."""
    import httpx

    from tui.session.proxy._hls_relay import HlsRelay

    async with httpx.AsyncClient() as http:
        master = await _master_url(http, demo, "t2")
        assert "/master.m3u8?" in master
        provider = _Provider(master)
        relay = HlsRelay(provider, http, _never_fails)  # type: ignore[arg-type]
        text = await relay.playlist("k")
        body, content_type = await relay.segment("k", 0)
    assert "#EXT-X-ENDLIST" in text and "\n0.ts\n" in text
    assert content_type == "video/mp2t" and body[:1] == b"\x47"
    [(expires_at, live)] = provider.read
    assert not live and expires_at is not None
    assert abs(expires_at - (time.time() + demo.options.segment_ttl)) < 5


async def test_a_segment_whose_url_ran_out_is_fetched_from_the_playlist_again(
        hls_options: DemoOptions) -> None:
    """With no refresh from the manager at all, the relay fetches the playlist again for
    fresh segment URLs rather than use one that ran out (nothing fails on the way)."""
    import httpx

    from tui.session.proxy._hls_relay import HlsRelay

    hls_options.segment_ttl = 1
    with DemoService(hls_options) as demo:
        async with httpx.AsyncClient() as http:
            provider = _Provider(await _master_url(http, demo, "t1"))
            relay = HlsRelay(provider, http, _never_fails)  # type: ignore[arg-type]
            await relay.playlist("k")
            # The scenario: the segment URLs just handed out run out (1 s).
            await asyncio.sleep(1.1)
            body, _ = await relay.segment("k", 3)
        assert body[:1] == b"\x47"
        assert len(provider.read) == 2                 # the playlist was read again
        assert demo.state.counts["hls:expired"] == 0   # no dead URL was tried
