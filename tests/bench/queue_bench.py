"""A 10,000-item queue: load from disk, keypress to repaint for cursor moves, filtering and
reordering, and the whole app's resident memory."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tui.adapters.mpv_player import MpvPlayer
from tui.adapters.ytdlp_resolver import YtDlpResolver
from tui.core.models import QueueItem
from tui.core.queue import Queue
from tui.factory import make_session
from tui.session.playback import Playback
from tui.session.store import QueueStore, TokenStore
from tui.ui.app import YtplayApp
from tui.ui.widgets.queue_view import QueueView

from .table import print_table

N = 10_000
ROUNDS = 15


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _timed(pilot, keys: list[str]) -> float:
    t = time.perf_counter()
    await pilot.press(*keys)
    await pilot.app._animator.wait_until_complete()  # noqa: SLF001 - nothing public waits for a frame
    await pilot.pause()
    return (time.perf_counter() - t) * 1000


def _paint(view: QueueView) -> None:
    for y in range(view.size.height):
        view.render_line(y)


def _direct(app: YtplayApp, view: QueueView) -> dict[str, list[float]]:
    """What ytplay does for each key, without Pilot: the handler, then every visible row
    rendered (Textual's compositor and the frame wait come on top)."""
    out: dict[str, list[float]] = {"cursor down (j)": [], "filter: type a letter": [],
                                   "move item down (J)": []}
    pb = app.playback
    for i in range(ROUNDS):
        t = time.perf_counter()
        view.action_cursor(1)
        _paint(view)
        out["cursor down (j)"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        view.set_filter("track 1"[: i % 7 + 1])
        _paint(view)
        out["filter: type a letter"].append((time.perf_counter() - t) * 1000)
        view.set_filter("")
        t = time.perf_counter()
        at = view.selected_index or 0
        view.select(pb.edits.move_to(at, at + 1))
        view.refresh_view()                      # what the QueueChanged message does
        _paint(view)
        out["move item down (J)"].append((time.perf_counter() - t) * 1000)
    return out


async def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queue.json"
        q = Queue(QueueItem(ref=f"https://example.invalid/watch?v={i:05d}",
                            title=f"Track number {i}", artist=f"Artist {i % 97}",
                            duration=120.0 + i % 200) for i in range(N))
        QueueStore(path).save(q, 0.0)
        t = time.perf_counter()
        loaded, _ = QueueStore(path).load()
        load_ms = (time.perf_counter() - t) * 1000
        assert len(loaded) == N

        resolver = YtDlpResolver()
        session = make_session(resolver, token_store=TokenStore(Path(tmp) / "t.json"))
        player = MpvPlayer(ao="null")
        app = YtplayApp(Playback(player, session, loaded))
        timings: dict[str, list[float]] = {"a key bound to nothing (Pilot's own cost)": [],
                                           "cursor down (j)": [], "filter: type a letter": [],
                                           "move item down (J)": []}
        async with app.run_test(size=(120, 36)) as pilot:
            view = app.query_one(QueueView)
            for _ in range(ROUNDS):
                timings["a key bound to nothing (Pilot's own cost)"].append(
                    await _timed(pilot, ["f12"]))
                timings["cursor down (j)"].append(await _timed(pilot, ["j"]))
                timings["move item down (J)"].append(await _timed(pilot, ["J"]))
            await pilot.press("slash")
            for ch in "track 1"[:ROUNDS]:
                timings["filter: type a letter"].append(await _timed(pilot, [ch]))
            assert view.filter_text
            await pilot.press("escape")
            direct = _direct(app, view)
            rss = _rss_mib()
        await session.aclose()
        player.close()
        resolver.close()
    base = statistics.median(timings["a key bound to nothing (Pilot's own cost)"])
    rows = [[name, f"{statistics.median(v):.1f}", f"{max(v):.1f}",
             f"{statistics.median(v) - base:.1f}", "< 50"] for name, v in timings.items()]
    print_table(f"Queue of {N:,} items: keypress to repaint (ms, {ROUNDS} presses each)",
                ["action", "median", "max", "median less Pilot's", "target"], rows)
    print_table(f"Queue of {N:,} items: ytplay's own work per key, handler + repaint of the "
                "visible rows (ms)", ["action", "median", "max", "target"],
                [[k, f"{statistics.median(v):.2f}", f"{max(v):.2f}", "< 50"]
                 for k, v in direct.items()])
    print_table("Queue of 10,000 items: load and memory",
                ["measure", "value", "target"],
                [["load queue.json from disk", f"{load_ms:.0f} ms", "< 1000 ms"],
                 ["whole app RSS (libmpv, yt-dlp, Textual)", f"{rss:.0f} MiB", "< 150 MiB"]])
