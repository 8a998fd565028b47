"""What playing costs: ytplay, run as a person runs it (in a terminal, here a pseudo-terminal
read back through pyte), beside plain mpv (`mpv --no-config --ao=null --vo=null
--no-video`) on the same input, both measured from outside through /proc over the same
window, after the same settling time: CPU of one core, RSS, PSS and wake-ups a second.

Scenarios: the floor (a bare Textual app playing the WAV through python-mpv, floor_app.py:
what no Textual program that plays through libmpv can go below, the issue's memory targets
being ~10 MiB above it); a local 5-minute WAV; a service's stream through the session protocol (mpv gets
the signed URL the service hands out); a yt-dlp page's media (mpv gets the URL yt-dlp
resolves); that stream paused; idle with an empty queue (mpv `--idle`). Then growth: RSS
after the first 10 of many short items (local with covers, streamed, cached) and after the
last. Targets (issue 19) are printed beside each figure.

`PLAYING_SAMPLE` (s, default 30), `PLAYING_SETTLE` (default 8), `PLAYING_ITEMS` (growth,
default 200; 0 skips it) and `PLAYING_ONLY` (scenario names, comma-separated) shorten it."""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tests.media_files import png, tag_id3, wav
from tests.pty_terminal import Terminal
from tui.config.defaults import default_text
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService

from . import procstat
from .table import print_table

SAMPLE = float(os.environ.get("PLAYING_SAMPLE", 30))
SETTLE = float(os.environ.get("PLAYING_SETTLE", 8))
ITEMS = int(os.environ.get("PLAYING_ITEMS", 200))
ONLY = [s for s in os.environ.get("PLAYING_ONLY", "").split(",") if s]
MIB = 1024 * 1024

# Issue 19's targets, beside plain mpv on the same input.
CPU_RATIO, MEMORY_RATIO = 1.5, 1.6
QUIET_CPU, QUIET_WAKEUPS = 0.3, 10.0  # paused and idle: % of one core, wake-ups a second
GROWTH = 10 * MIB


def pump(term: Terminal, seconds: float) -> None:
    """Read what ytplay draws for `seconds`, as a terminal would: a program whose terminal
    is not read blocks on its writes, and would look cheaper than it is."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([term.master], [], [], left)
        if ready:
            try:
                data = os.read(term.master, 65536)
            except OSError:
                data = b""
            if not data:
                raise AssertionError(f"ytplay exited; screen:\n{term.text()}")
            term.stream.feed(data)


def _title(screen: str) -> str:
    """Now Playing's first line: the title and artist playing."""
    return screen.splitlines()[1]


class Mpv:
    """Plain mpv, the baseline, with an IPC socket to see that it plays and to pause it."""

    def __init__(self, args: list[str], folder: Path) -> None:
        self.socket = folder / f"mpv-{time.monotonic_ns()}.sock"
        self.proc = subprocess.Popen(
            ["mpv", "--no-config", "--ao=null", "--vo=null", "--no-video", "--really-quiet",
             f"--input-ipc-server={self.socket}", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def command(self, *args: object) -> object:
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            assert time.monotonic() < deadline, "mpv opened no IPC socket"
            time.sleep(0.05)
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.socket))
            s.sendall(json.dumps({"command": list(args)}).encode() + b"\n")
            answer = b""
            while b"\n" not in answer:
                answer += s.recv(4096)
        return json.loads(answer.split(b"\n")[0]).get("data")

    def playing(self) -> bool:
        position = self.command("get_property", "time-pos")
        return isinstance(position, (int, float)) and position > 0

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@dataclass
class Row:
    scenario: str
    ytplay: procstat.Cost
    mpv: procstat.Cost
    quiet: bool  # paused or idle: judged by the quiet targets too
    floor: bool = False  # not ytplay: what the targets are measured against


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "—"


def _measure(term: Terminal, mpv: Mpv, name: str, quiet: bool = False) -> Row:
    """Both processes over the same window, ytplay's screen read meanwhile."""
    pump(term, SETTLE)
    start = (procstat.read(term.proc.pid), procstat.read(mpv.proc.pid))
    t = time.monotonic()
    pump(term, SAMPLE)
    seconds = time.monotonic() - t
    end = (procstat.read(term.proc.pid), procstat.read(mpv.proc.pid))
    return Row(name, procstat.over(start[0], end[0], seconds),
               procstat.over(start[1], end[1], seconds), quiet)


class Bench:
    def __init__(self, folder: Path, demo: DemoService) -> None:
        self.folder = folder
        self.demo = demo
        self.rows: list[Row] = []
        self.growth: tuple[int, int] | None = None

    def home(self, name: str, config: str = "") -> dict[str, str]:
        """A private home for one ytplay run: its own config, queue, cache and log."""
        home = self.folder / name
        (home / ".config" / "ytplay").mkdir(parents=True)
        (home / ".config" / "ytplay" / "config.toml").write_text(default_text() + config)
        return {"PATH": os.environ["PATH"], "HOME": str(home), "TERM": "xterm-256color",
                "LANG": "C.UTF-8", "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local/share"),
                "XDG_STATE_HOME": str(home / ".local/state"),
                "XDG_CACHE_HOME": str(home / ".cache"), "BENCH_PASSWORD": "demo"}

    def ytplay(self, name: str, args: list[str], config: str = "") -> Terminal:
        return Terminal([sys.executable, "-m", "tui", "--ao", "null", *args],
                        self.home(name, config))

    def services(self) -> str:
        return (f'\n[[services]]\nname = "bench"\nbase_url = "{self.demo.base_url}"\n'
                f'client_id = "ytplay"\nusername = "demo"\npassword_env = "BENCH_PASSWORD"\n')

    def side_by_side(self, name: str, ytplay_args: list[str], mpv_args: list[str],
                     config: str = "", then: Callable[[Terminal, Mpv], None] | None = None
                     ) -> None:
        with ExitStack() as stack:
            term = self.ytplay(name, ytplay_args, config)
            stack.callback(term.close)
            mpv = Mpv(mpv_args, self.folder)
            stack.callback(mpv.close)
            if ytplay_args:
                term.wait_for(lambda s: "▶ playing" in s, 60)
                deadline = time.monotonic() + 20
                while not mpv.playing():
                    assert time.monotonic() < deadline, "mpv never played"
                    time.sleep(0.1)
            else:
                term.wait_for(lambda s: "Nothing playing" in s, 60)
            self.rows.append(_measure(term, mpv, name, quiet=not ytplay_args))
            if then is not None:
                then(term, mpv)

    def floor(self, local: Path) -> None:
        with ExitStack() as stack:
            term = Terminal([sys.executable, str(Path(__file__).with_name("floor_app.py")),
                             str(local)], self.home("floor"))
            stack.callback(term.close)
            mpv = Mpv([str(local)], self.folder)
            stack.callback(mpv.close)
            term.wait_for(lambda s: "▶ playing" in s, 60)
            row = _measure(term, mpv, "floor: bare Textual + python-mpv, the WAV")
            self.rows.append(Row(row.scenario, row.ytplay, row.mpv, quiet=False, floor=True))

    def paused(self, term: Terminal, mpv: Mpv) -> None:
        term.send(b" ")
        mpv.command("set_property", "pause", True)
        term.wait_for(lambda s: "⏸" in s, 10)
        self.rows.append(_measure(term, mpv, "the same stream, paused", quiet=True))

    def run_scenarios(self) -> None:
        local = wav(self.folder / "five-minutes.wav", 300, rate=44100)
        want = set(ONLY) or {"floor", "local", "service", "ytdlp", "idle"}
        if "floor" in want:
            self.floor(local)
        if "local" in want:
            self.side_by_side("a local 5-minute WAV", [str(local)], [str(local)])
        if "service" in want:
            url = self.demo_stream_url("t2")
            self.side_by_side("a service's stream (session protocol)", ["bench:t2"], [url],
                              self.services())
        if "ytdlp" in want:
            page = self.demo.watch_url("t5")
            self.side_by_side("a yt-dlp page's media", [page], [self.resolved(page)],
                              then=self.paused)
        if "idle" in want:
            self.side_by_side("idle, empty queue", [], ["--idle"])

    def demo_stream_url(self, media_id: str) -> str:
        """A signed stream URL as the service hands it out, for mpv."""
        import httpx

        base = self.demo.base_url
        token = httpx.post(f"{base}/oauth/token", data={
            "grant_type": "password", "username": "demo", "password": "demo",
            "client_id": "ytplay"}).json()["access_token"]
        started = httpx.post(f"{base}/api/v1/playback/session/start",
                             json={"media_id": media_id, "device_id": "mpv"},
                             headers={"Authorization": f"Bearer {token}"}).json()
        return str(started["stream_url"])

    @staticmethod
    def resolved(page: str) -> str:
        from yt_dlp import YoutubeDL

        with YoutubeDL({"quiet": True, "no_warnings": True}) as ydl:
            return str(ydl.extract_info(page, download=False)["url"])

    def run_growth(self) -> None:
        """RSS after the first 10 items and after the last, each item played until it
        starts (then n): local files with covers, the service's and yt-dlp pages' streams,
        cached after their first play."""
        files = self.folder / "short"
        files.mkdir()
        refs: list[str] = []
        for i in range(ITEMS):
            kind = i % 4
            if kind == 0 or kind == 1:
                path = wav(files / f"short-{i:03}.wav", 3)
                tag_id3(path, title=f"Short {i:03}", artist="Bench",
                        cover=png(64, 64, (i % 256, 80, 160)))
                refs.append(str(path))
            elif kind == 2:
                refs.append(f"bench:t{i // 4 % 3 + 1}")
            else:
                refs.append(self.demo.watch_url(f"t{i // 4 % 3 + 4}"))
        term = self.ytplay("growth", [], self.services())
        try:
            term.wait_for(lambda s: "Nothing playing" in s, 60)
            listing = self.folder / "growth.m3u8"
            listing.write_text("#EXTM3U\n" + "\n".join(refs) + "\n")
            term.send(b"a")
            term.wait_for(lambda s: "Add to the queue" in s, 10)
            term.send(str(listing).encode() + b"\r")
            term.wait_for(lambda s: f"{ITEMS} items" in s, 60)
            term.send(b"\r")  # play the first
            first, title = 0, ""
            for i in range(ITEMS):
                # The next item plays when Now Playing names another title (no two items in
                # a row share one) and says it plays.
                term.wait_for(lambda s: "▶ playing" in s and _title(s) != title, 60)
                title = _title(term.text())
                pump(term, 0.5)
                if i == 9:
                    first = procstat.read(term.proc.pid).rss
                if i < ITEMS - 1:
                    term.send(b"n")
            pump(term, SETTLE)
            self.growth = (first, procstat.read(term.proc.pid).rss)
        finally:
            term.close()

    def report(self) -> None:
        rows = []
        for r in self.rows:
            y, m = r.ytplay, r.mpv
            cpu_ok = (y.cpu <= QUIET_CPU and y.wakeups <= QUIET_WAKEUPS) if r.quiet \
                else y.cpu <= CPU_RATIO * m.cpu
            mem_ok = y.rss <= MEMORY_RATIO * m.rss and y.pss <= MEMORY_RATIO * m.pss
            rows.append([r.scenario, f"{y.cpu:.2f} %", f"{m.cpu:.2f} %", _ratio(y.cpu, m.cpu),
                         f"{y.wakeups:.0f}", f"{m.wakeups:.0f}",
                         f"{y.rss / MIB:.0f}", f"{m.rss / MIB:.0f}", _ratio(y.rss, m.rss),
                         f"{y.pss / MIB:.0f}", f"{m.pss / MIB:.0f}", _ratio(y.pss, m.pss),
                         "(the floor)" if r.floor else
                         ("ok" if cpu_ok else "CPU") + (" ok" if mem_ok else " memory")])
        print_table(f"Playing: ytplay beside plain mpv, {SAMPLE:.0f} s after {SETTLE:.0f} s "
                    f"of settling (targets: CPU ≤ {CPU_RATIO}× mpv playing, ≤ {QUIET_CPU} % "
                    f"and ≤ {QUIET_WAKEUPS:.0f} wake-ups/s paused or idle; RSS and PSS ≤ "
                    f"{MEMORY_RATIO}× mpv; the floor's row has a bare Textual app playing through "
                    f"python-mpv in ytplay's columns)",
                    ["scenario", "ytplay CPU", "mpv CPU", "×", "ytplay wake/s", "mpv wake/s",
                     "ytplay RSS MiB", "mpv RSS", "×", "ytplay PSS MiB", "mpv PSS", "×",
                     "targets"], rows)
        if self.growth is not None:
            first, last = self.growth
            print()
            print_table(f"Growth over {ITEMS} items (target: within {GROWTH // MIB} MiB)",
                        ["RSS after 10 items MiB", f"after {ITEMS} MiB", "growth MiB", "target"],
                        [[f"{first / MIB:.0f}", f"{last / MIB:.0f}",
                          f"{(last - first) / MIB:+.1f}",
                          "ok" if last - first <= GROWTH else "GROWS"]])


async def run() -> None:
    if shutil.which("mpv") is None:
        sys.exit("the playing benchmark needs plain mpv as its baseline: apt install mpv "
                 "(make bench installs it)")
    with tempfile.TemporaryDirectory() as tmp, DemoService(DemoOptions(
            media_dir=Path(tmp) / "media", url_ttl=3600, token_ttl=3600,
            stream_limit=4)) as demo:
        bench = Bench(Path(tmp), demo)
        # Blocking work (processes, the pty) on a thread: the demo service runs on this loop.
        await asyncio.to_thread(bench.run_scenarios)
        if ITEMS and (not ONLY or "growth" in ONLY):
            await asyncio.to_thread(bench.run_growth)
        bench.report()
