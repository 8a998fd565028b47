"""The media cache, measured in one run beside what it is compared with:
- the proxy's throughput on a whole file with the tee off, with the tee writing every byte
  to the cache, and answered from a complete cache entry;
- next track, keypress to audio (libmpv's playback-restart), for an item in the cache
  against the loopback floor (libmpv opening the already-resolved URL directly) and a
  streamed item resolved ahead."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tui.adapters.mpv_player import MpvPlayer
from tui.adapters.ytdlp_resolver import YtDlpResolver
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.cache import CacheState, MediaCache
from tui.session.store import TokenStore

from .next_track_bench import _floor, _ytplay
from .proxy_bench import _whole
from .table import print_table

ROUNDS = 7
NEXT_ROUNDS = 5


async def _throughput(tmp: Path, demo: DemoService, resolver: YtDlpResolver) -> None:
    cache = MediaCache(tmp / "cache", 1 << 30)
    await cache.ready()
    plain = make_session(resolver, token_store=TokenStore(tmp / "a.json"))
    teed = make_session(resolver, token_store=TokenStore(tmp / "b.json"), cache=cache)
    ref = demo.watch_url("t5")
    _, off_url, _ = await plain.open("bench", ref)
    mbps: dict[str, list[float]] = {"off": [], "writing": [], "cached": []}
    settle: list[float] = []
    with httpx.Client() as client:  # in a thread, as libmpv is: the loop is the proxy's
        await asyncio.to_thread(_whole, client, off_url)  # warm the demo's files
        for i in range(ROUNDS):
            # What plays is held (never evicted or cleared): a stream of its own each round.
            await asyncio.to_thread(cache.clear_now, keep_pinned=False)
            assert cache.lookup(ref).state is CacheState.ABSENT
            _, on_url, _ = await teed.open(f"bench{i}", ref)
            for name, url in (("off", off_url), ("writing", on_url), ("cached", on_url)):
                if name == "cached":
                    t = time.perf_counter()
                    await asyncio.to_thread(cache.flush_now)  # the writes still queued
                    settle.append((time.perf_counter() - t) * 1000)
                    assert cache.lookup(ref).state is CacheState.COMPLETE
                seconds, size = await asyncio.to_thread(_whole, client, url)
                mbps[name].append(size / seconds / 2**20)
            teed.close(f"bench{i}")
    await plain.aclose()
    await teed.aclose()
    cache.close()
    med = {k: statistics.median(v) for k, v in mbps.items()}
    rows = [["proxy, no cache (tee off)", f"{med['off']:.0f}", "1.00"],
            ["proxy, tee writing every byte to the cache", f"{med['writing']:.0f}",
             f"{med['writing'] / med['off']:.2f}"],
            ["answered from a complete cache entry", f"{med['cached']:.0f}",
             f"{med['cached'] / med['off']:.2f}"]]
    print_table(f"Media cache: proxy throughput, {size / 2**20:.1f} MiB WAV, median of {ROUNDS} "
                "interleaved rounds", ["path", "MiB/s", "x tee off"], rows)
    print(f"writes still queued when the body ended: done {statistics.median(settle):.1f} ms "
          "later (median), on the cache's writer thread")


async def _next_track(tmp: Path, demo: DemoService, resolver: YtDlpResolver) -> None:
    player = MpvPlayer(ao="null")
    cache = MediaCache(tmp / "next-cache", 1 << 30)
    await cache.ready()
    results: dict[str, list[float]] = {"floor": [], "streamed": [], "cached": [],
                                       "cached-gapless": []}
    for i in range(NEXT_ROUNDS):
        info = await resolver.resolve(demo.watch_url("t5"))
        results["floor"].append(await _floor(player, info.url))
        plain = make_session(resolver, token_store=TokenStore(tmp / f"p{i}.json"))
        results["streamed"].append(await _ytplay(player, plain, demo, True, False))
        await plain.aclose()
        teed = make_session(resolver, token_store=TokenStore(tmp / f"c{i}.json"), cache=cache)
        if cache.lookup(demo.watch_url("t5")).state is not CacheState.COMPLETE:
            _, url, _ = await teed.open("fill", demo.watch_url("t5"))
            async with httpx.AsyncClient() as c:
                await c.get(url)
            teed.close("fill")
            await asyncio.to_thread(cache.flush_now)
        results["cached"].append(await _ytplay(player, teed, demo, True, False))
        results["cached-gapless"].append(await _ytplay(player, teed, demo, True, True))
        await teed.aclose()
    player.close()
    cache.close()
    med = {k: statistics.median(v) for k, v in results.items()}
    f = med["floor"]
    rows = [["floor: libmpv opens the resolved URL directly", f"{f:.0f}", "1.00"],
            ["streamed, pre-resolved (gapless off)", f"{med['streamed']:.0f}",
             f"{med['streamed'] / f:.2f}"],
            ["cached, opened at the keypress (gapless off)", f"{med['cached']:.0f}",
             f"{med['cached'] / f:.2f}"],
            ["cached, handed to libmpv ahead (default)", f"{med['cached-gapless']:.0f}",
             f"{med['cached-gapless'] / f:.2f}"]]
    print_table(f"Next track to a cached item: keypress to playback-restart, ms (median of "
                f"{NEXT_ROUNDS}, interleaved)", ["path", "ms", "x floor"], rows)


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            DemoService(DemoOptions(media_dir=Path(tmp) / "media")) as demo:
        resolver = YtDlpResolver()
        await resolver.resolve(demo.watch_url("t1"))  # yt-dlp's imports warmed up
        await _throughput(Path(tmp), demo, resolver)
        print()
        await _next_track(Path(tmp), demo, resolver)
        resolver.close()
