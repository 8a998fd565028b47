"""Next track, keypress to audio (libmpv's playback-restart): the floor — libmpv opening the
same already-resolved URL directly — against ytplay with the item pre-resolved and with a
first, unresolved play, measured side by side in one run. The unresolved play twice: with
yt-dlp's process running, and after it was let go (idle), so that it starts again."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tui.adapters.mpv_player import MpvPlayer
from tui.adapters.ytdlp_resolver import YtDlpResolver
from tests.helpers import Recorder
from tui.core.nowplaying import PlayState
from tui.core.player_events import PlayerEvent, Restarted
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.playback import Playback, PlaybackSettings
from tui.session.store import TokenStore
from tui.session.streams import SessionManager

from .table import print_table

ROUNDS = 5


async def _floor(player: MpvPlayer, url: str) -> float:
    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    def listen(ev: PlayerEvent) -> None:
        if isinstance(ev, Restarted):
            loop.call_soon_threadsafe(started.set)
    player.set_listener(listen)
    t = time.perf_counter()
    player.load(url)
    await asyncio.wait_for(started.wait(), 20)
    elapsed = time.perf_counter() - t
    player.stop()
    return elapsed * 1000


async def _ytplay(player: MpvPlayer, session: SessionManager, demo: DemoService,
                  ahead: bool, gapless: bool) -> float:
    pb = Playback(player, session,
                  settings=PlaybackSettings(resolve_ahead=1 if ahead else 0, gapless=gapless))
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url("t2"), demo.watch_url("t5")])
    pb.play(0, start=100.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING, 20)
    await asyncio.gather(*session.ahead.streams.values())  # wait for the pre-resolve
    while gapless and (pb.ahead.prepared is None or pb.ahead.prepared.entry is None):
        await asyncio.sleep(0.01)                   # and for the hand-over
    await asyncio.sleep(0.5)                        # let libmpv prefetch, as it would mid-track
    t = time.perf_counter()
    pb.next()                                       # what the `n` key does
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING, 20)
    elapsed = time.perf_counter() - t
    pb.detach()
    player.stop()
    return elapsed * 1000


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            DemoService(DemoOptions(media_dir=Path(tmp) / "media")) as demo:
        resolver = YtDlpResolver()
        let_go = YtDlpResolver(idle=0)  # its process ends after each answer
        player = MpvPlayer(ao="null")
        await resolver.resolve(demo.watch_url("t1"))  # yt-dlp's imports warmed up
        results: dict[str, list[float]] = {"floor": [], "gapless": [], "ahead": [], "cold": [],
                                           "restart": []}
        for i in range(ROUNDS):
            session = make_session(resolver, token_store=TokenStore(Path(tmp) / f"{i}.json"))
            info = await resolver.resolve(demo.watch_url("t5"))
            results["floor"].append(await _floor(player, info.url))
            results["gapless"].append(await _ytplay(player, session, demo, True, True))
            results["ahead"].append(await _ytplay(player, session, demo, True, False))
            results["cold"].append(await _ytplay(player, session, demo, False, False))
            await session.aclose()
            session = make_session(let_go, token_store=TokenStore(Path(tmp) / f"r{i}.json"))
            results["restart"].append(await _ytplay(player, session, demo, False, False))
            await session.aclose()
        player.close()
        resolver.close()
        let_go.close()
    med = {k: statistics.median(v) for k, v in results.items()}
    rows = [
        ["floor: libmpv opens the resolved URL directly", f"{med['floor']:.0f}", "1.00"],
        ["ytplay, next item handed to libmpv ahead (default)", f"{med['gapless']:.0f}",
         f"{med['gapless'] / med['floor']:.2f}"],
        ["ytplay, next item pre-resolved only (gapless off)", f"{med['ahead']:.0f}",
         f"{med['ahead'] / med['floor']:.2f}"],
        ["ytplay, first play, unresolved (nothing ahead)", f"{med['cold']:.0f}",
         f"{med['cold'] / med['floor']:.2f}"],
        ["the same, yt-dlp's process let go meanwhile (idle)", f"{med['restart']:.0f}",
         f"{med['restart'] / med['floor']:.2f}"],
    ]
    print_table(f"Next track: keypress to playback-restart, ms (median of {ROUNDS}, "
                "interleaved)", ["path", "ms", "x floor"], rows)
