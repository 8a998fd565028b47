"""The loopback proxy against fetching directly from the demo service, in the same run:
throughput of a whole file and time to the first byte of a ranged request."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tui.adapters.ytdlp_resolver import YtDlpResolver
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.store import TokenStore

from .table import print_table

ROUNDS = 7


def _whole(client: httpx.Client, url: str) -> tuple[float, int]:
    t = time.perf_counter()
    size = 0
    with client.stream("GET", url) as r:
        for chunk in r.iter_raw(64 * 1024):
            size += len(chunk)
    return time.perf_counter() - t, size


def _first_byte(client: httpx.Client, url: str, offset: int) -> float:
    t = time.perf_counter()
    with client.stream("GET", url, headers={"Range": f"bytes={offset}-"}) as r:
        next(r.iter_raw(1024))
        return time.perf_counter() - t


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            DemoService(DemoOptions(media_dir=Path(tmp) / "media")) as demo:
        resolver = YtDlpResolver()
        session = make_session(resolver, token_store=TokenStore(Path(tmp) / "t.json"))
        _, proxy_url, _ = await session.open("bench", demo.watch_url("t5"))
        direct_url = session.stream("bench").url
        results: dict[str, dict[str, list[float]]] = {
            "direct": {"mbps": [], "ttfb": []}, "proxy": {"mbps": [], "ttfb": []}}
        # The client runs in a thread, as libmpv does, so the proxy has the loop to itself.
        with httpx.Client() as client:
            await asyncio.to_thread(_whole, client, direct_url)  # warm the media cache
            for i in range(ROUNDS):
                for name, url in (("direct", direct_url), ("proxy", proxy_url)):
                    seconds, size = await asyncio.to_thread(_whole, client, url)
                    results[name]["mbps"].append(size / seconds / 2**20)
                    ttfb = await asyncio.to_thread(_first_byte, client, url, 100_000 * (i + 1))
                    results[name]["ttfb"].append(ttfb * 1000)
        await session.aclose()
        resolver.close()
    d, p = results["direct"], results["proxy"]
    med = statistics.median
    rows = [["direct from the demo service", f"{med(d['mbps']):.0f}", f"{med(d['ttfb']):.2f}", "-"],
            ["through the loopback proxy", f"{med(p['mbps']):.0f}", f"{med(p['ttfb']):.2f}",
             f"+{med(p['ttfb']) - med(d['ttfb']):.2f} ms"]]
    print_table(f"Stream proxy, 9.8 MB WAV, median of {ROUNDS} interleaved rounds",
                ["path", "MiB/s", "first byte ms", "added first byte"], rows)
    print(f"throughput ratio proxy/direct: {med(p['mbps']) / med(d['mbps']):.2f}")
