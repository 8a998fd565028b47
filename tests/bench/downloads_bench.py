"""Downloads, measured beside their floor: a demo track kept by `Downloads` (opened through
the session manager, fetched by range into the media cache, completed and checked) against
one plain httpx GET of the same signed URL read to the end and thrown away; and how late
the event loop ran a 10 ms ticker while the download went on (the UI's loop must not
stall: the bytes are written on the cache's own thread), beside the longest run of Python's
garbage collector, which stops the loop too (with it off, the downloads' worst was ~11 ms,
yt-dlp's resolve holding the GIL)."""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tui.adapters.ytdlp_resolver import YtDlpResolver
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.cache import MediaCache
from tui.session.downloads import Downloads, DownloadState
from tui.session.store import TokenStore

from .table import print_table

ROUNDS = 5
TICK = 0.01


async def _floor(url: str) -> tuple[float, int, list[float]]:
    stop, late = asyncio.Event(), []
    ticker = asyncio.ensure_future(_lateness(stop, late))
    async with httpx.AsyncClient() as client:
        t = time.perf_counter()
        size = 0
        async with client.stream("GET", url) as r:
            async for chunk in r.aiter_raw(256 * 1024):
                size += len(chunk)
                await asyncio.sleep(0)  # as the download does: the ticker gets its turns
        seconds = time.perf_counter() - t
    stop.set()
    await ticker
    return seconds, size, late


async def _lateness(stop: asyncio.Event, late: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + TICK
        await asyncio.sleep(TICK)
        late.append(max(0.0, loop.time() - due) * 1000)


async def _download(downloads: Downloads, ref: str) -> tuple[float, list[float]]:
    """Seconds from `keep` to done, from an empty cache, and the ticker's lateness
    meanwhile. One session and proxy for every round, as in the app."""
    downloads.cancel(ref)
    await asyncio.to_thread(downloads.cache.clear_now, keep_pinned=False)
    stop, late = asyncio.Event(), []
    ticker = asyncio.ensure_future(_lateness(stop, late))
    t = time.perf_counter()
    downloads.keep(ref)
    d = await downloads.wait(ref)
    seconds = time.perf_counter() - t
    stop.set()
    await ticker
    assert d.state is DownloadState.DONE, d.reason
    return seconds, late


class _Collections:
    """How long each run of the cyclic garbage collector took (it stops the loop too, and
    yt-dlp leaves it much to walk): the loop's longest stalls, told apart from ours."""

    def __init__(self) -> None:
        self.ms: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.ms.append((time.perf_counter() - self._started) * 1000)


async def run() -> None:
    collections = _Collections()
    gc.callbacks.append(collections)
    try:
        await _run(collections)
    finally:
        gc.callbacks.remove(collections)


async def _run(collections: _Collections) -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            DemoService(DemoOptions(media_dir=Path(tmp) / "media")) as demo:
        resolver = YtDlpResolver()
        ref = demo.watch_url("t5")
        info = await resolver.resolve(ref)  # yt-dlp's imports warmed up, the file made
        cache = MediaCache(Path(tmp) / "cache", 1 << 30)
        session = make_session(resolver, token_store=TokenStore(Path(tmp) / "t.json"),
                               cache=cache)
        downloads = Downloads(session, cache)
        await _download(downloads, ref)  # the proxy started, httpx's client made
        floor, download, fetch, late, floor_late = [], [], [], [], []
        for i in range(ROUNDS):  # interleaved, so a busy moment hits both alike
            t = time.perf_counter()
            url = (await resolver.resolve(ref)).url
            resolving = time.perf_counter() - t
            seconds, size, lags = await _floor(url)
            floor_late.extend(lags)
            floor.append(size / seconds / 2**20)
            seconds, lags = await _download(downloads, ref)
            download.append(size / seconds / 2**20)
            fetch.append(size / max(1e-3, seconds - resolving) / 2**20)
            late.extend(lags)
        await downloads.aclose()
        await session.aclose()
        await asyncio.to_thread(cache.close)
        resolver.close()
    f, d, g = statistics.median(floor), statistics.median(download), statistics.median(fetch)

    rows = [["floor: one httpx GET of the signed URL, bytes dropped", f"{f:.0f}", "1.00"],
            ["download, whole: open (yt-dlp), fetch, write, complete, checksum", f"{d:.0f}",
             f"{d / f:.2f}"],
            ["download less one yt-dlp resolve (timed just before)", f"{g:.0f}",
             f"{g / f:.2f}"]]
    print_table(f"Downloads: {info.title}, {size / 2**20:.1f} MiB WAV, MiB/s (median of "
                f"{ROUNDS}, interleaved)", ["path", "MiB/s", "x floor"], rows)
    print()
    print_table(f"Event loop lateness of a {TICK * 1000:.0f} ms ticker, ms (the demo service "
                "serves from a thread of this process)", ["while", "median", "p90", "max"],
                [["the floor GET", *_spread(floor_late)], ["the downloads", *_spread(late)]])
    print(f"longest run of Python's garbage collector in the whole bench: "
          f"{max(collections.ms, default=0.0):.1f} ms (it stops the loop as well)")


def _spread(late: list[float]) -> list[str]:
    late = sorted(late)
    p90 = late[min(len(late) - 1, int(len(late) * 0.9))]
    return [f"{statistics.median(late):.1f}", f"{p90:.1f}", f"{late[-1]:.1f}"]
