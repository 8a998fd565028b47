"""yt-dlp in a worker process that ytplay lets go when idle (issue 19, "Playing costs what
mpv costs"; tui/adapters/ytdlp_worker.py, worker_process.py): ytplay never imports yt-dlp;
the process starts on the first request, ends when idle, when ytplay closes it and when
ytplay dies; one killed under a request is a transient error and the next request starts
another; a cancelled request is dropped; `[ytdlp]` options reach the process running.
Real yt-dlp against the demo service and the misbehaving site on loopback; each process is
found and watched from outside, through /proc and pidfds."""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from tests.misbehaving_site import MisbehavingSite, load_plugin
from tui.adapters.ytdlp_resolver import YtDlpResolver
from tui.config.validate import load_text
from tui.core.extraction import Extraction, ExtractionError
from tui.demo.service import DemoService
from tui.runtime_config import ytdlp_fallbacks, ytdlp_options

ROOT = Path(__file__).resolve().parent.parent


def workers(parent: int | None = None) -> set[int]:
    """The yt-dlp processes `parent` (this one) has started and not yet reaped."""
    found = set()
    for task in Path(f"/proc/{parent or os.getpid()}/task").glob("*/children"):
        for pid in task.read_text().split():
            try:
                if b"tui.adapters.ytdlp_worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.add(int(pid))
            except FileNotFoundError:
                continue
    return found


def the_new_worker(before: set[int]) -> int:
    [pid] = workers() - before
    return pid


def ended(pidfd: int) -> bool:
    return bool(select.select([pidfd], [], [], 0)[0])


async def until_ended(pidfd: int, timeout: float) -> None:
    """Awaits the end of the process behind `pidfd` (ours or not): it becomes readable."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(pidfd, done.set)
    try:
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        loop.remove_reader(pidfd)


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A server that accepts and never answers: a request to it is under way until taken
    back (its timeout is set long)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        server.setblocking(False)
        yield server


def silent_url(server: socket.socket) -> str:
    return f"http://127.0.0.1:{server.getsockname()[1]}/watch/x"


async def accepted(server: socket.socket) -> socket.socket:
    """The connection yt-dlp makes to `server`: the request is under way in its process."""
    conn, _ = await asyncio.wait_for(asyncio.get_running_loop().sock_accept(server), 60)
    return conn


@pytest.fixture
async def site(tmp_path: Path):
    load_plugin()
    s = MisbehavingSite(tmp_path)
    await s.start()
    yield s
    await s.stop()


def test_ytplay_never_imports_yt_dlp_to_resolve(demo: DemoService) -> None:
    code = textwrap.dedent(f"""
        import asyncio, sys
        from tui.adapters.ytdlp_resolver import YtDlpResolver

        async def main():
            resolver = YtDlpResolver()
            try:
                info = await resolver.resolve({demo.watch_url("t3")!r})
                [entry] = await resolver.expand({demo.watch_url("t1")!r})
            finally:
                resolver.close()
            print(info.title, "|", entry.title, "|", "yt_dlp" in sys.modules)
        asyncio.run(main())
        """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Night Bus | Low Tide | False"


async def test_the_process_ends_when_idle_and_starts_again_when_asked(
        demo: DemoService) -> None:
    before = workers()
    resolver = YtDlpResolver(idle=2.0)
    try:
        assert workers() == before  # nothing started before it is needed
        await resolver.resolve(demo.watch_url("t1"))
        first = the_new_worker(before)
        pidfd = os.pidfd_open(first)
        try:
            assert not ended(pidfd)
            await until_ended(pidfd, 10)
        finally:
            os.close(pidfd)
        info = await resolver.resolve(demo.watch_url("t2"))
        assert info.title == "Copper Lanterns"
        assert the_new_worker(before) != first
    finally:
        resolver.close()
    assert workers() == before  # closed: ended and reaped


async def test_a_process_killed_under_a_request_is_a_transient_error_then_another_starts(
        demo: DemoService, silent: socket.socket) -> None:
    before = workers()
    resolver = YtDlpResolver(options={"socket_timeout": 60})
    try:
        resolving = asyncio.ensure_future(resolver.resolve(silent_url(silent)))
        with await accepted(silent):
            killed = the_new_worker(before)
            os.kill(killed, signal.SIGKILL)
            with pytest.raises(ExtractionError) as e:
                await asyncio.wait_for(resolving, 10)
        assert e.value.transient and e.value.kind is Extraction.NETWORK
        assert not e.value.unreachable and "before it answered" in str(e.value)
        info = await resolver.resolve(demo.watch_url("t3"))
        assert info.title == "Night Bus"
        assert the_new_worker(before) != killed
    finally:
        resolver.close()


async def test_requests_run_at_once_in_one_process(demo: DemoService,
                                                   silent: socket.socket) -> None:
    """Resolve-ahead asks for several items while one is under way."""
    before = workers()
    resolver = YtDlpResolver(options={"socket_timeout": 60})
    try:
        stuck = asyncio.ensure_future(resolver.resolve(silent_url(silent)))
        with await accepted(silent):
            info = await resolver.resolve(demo.watch_url("t4"))
            assert info.title and not stuck.done()
            assert len(workers() - before) == 1
            stuck.cancel()
            with pytest.raises(asyncio.CancelledError):
                await stuck
    finally:
        resolver.close()


async def test_a_superseded_resolve_is_cancelled_and_its_answer_dropped(
        site: MisbehavingSite, silent: socket.socket) -> None:
    """`n` pressed again: the resolve under way is taken back at once, one queued behind it
    in yt-dlp's process never runs, and the process goes on answering (and goes idle: no
    answer is still awaited)."""
    before = workers()
    resolver = YtDlpResolver(workers=1, idle=2.0, options={"socket_timeout": 60})
    try:
        running = asyncio.ensure_future(resolver.resolve(silent_url(silent)))
        conn = await accepted(silent)
        queued = asyncio.ensure_future(resolver.resolve(site.url("ok", "q1")))
        await asyncio.sleep(0)  # its first step runs: sent, and waiting behind the first
        running.cancel()
        queued.cancel()
        for task in (running, queued):
            with pytest.raises(asyncio.CancelledError):
                await task
        conn.close()  # the running one ends in yt-dlp's process, with an error nobody awaits
        info = await resolver.resolve(site.url("ok", "q2"))
        assert info.title == "Item q2"
        assert site.hits["q1"] == 0  # taken back before it started
        pidfd = os.pidfd_open(the_new_worker(before))
        try:
            await until_ended(pidfd, 10)  # idle: nothing left pending
        finally:
            os.close(pidfd)
    finally:
        resolver.close()


async def test_ytdlp_options_reach_the_running_process_after_a_reload(
        site: MisbehavingSite, tmp_path: Path) -> None:
    """`[ytdlp]` changed while ytplay runs (ConfigHost.apply calls configure): the process
    already running resolves with the new format, cookies file, extra and fallbacks."""
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n"
                       "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tfrom-the-file\n")
    config = load_text(tmp_path / "config.toml", f"""[ytdlp]
cookies_file = "{cookies}"
fallbacks = [{{extractor_args = {{ytplaymisbehaving = {{player_client = ["web"]}}}}}}]
[ytdlp.extra]
http_headers = {{"X-Ytplay-Test" = "yes"}}
""")
    before = workers()
    resolver = YtDlpResolver()
    try:
        info = await resolver.resolve(site.url("ok", "o1"))
        running = the_new_worker(before)
        assert "X-Ytplay-Test" not in info.headers and site.cookies["o1"] == ""
        resolver.configure(ytdlp_options(config), ytdlp_fallbacks(config))
        info = await resolver.resolve(site.url("ok", "o2"))
        assert info.headers.get("X-Ytplay-Test") == "yes"
        assert site.cookies["o2"] == "session=from-the-file"
        assert resolver.fallbacks == ["player_client=web"]
        assert (await resolver.resolve_with(site.url("ok", "o3"), 1)).url.endswith("client=web")
        resolver.configure({"format": "bestvideo[height>9999]"})
        with pytest.raises(ExtractionError) as e:
            await resolver.resolve(site.url("ok", "o4"))
        assert e.value.kind is Extraction.FORMAT
        assert workers() - before == {running}
    finally:
        resolver.close()


async def test_yt_dlps_lines_reach_the_log_redacted(demo: DemoService,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    resolver = YtDlpResolver()
    try:
        with caplog.at_level(logging.DEBUG, logger="tui.adapters.ytdlp_resolver"):
            with pytest.raises(ExtractionError):
                await resolver.resolve(f"{demo.base_url}/nothing-here?token=SECRET3")
    finally:
        resolver.close()
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "/nothing-here?token=" in said and "SECRET3" not in said


def test_a_process_outlives_no_ytplay_killed_with_sigkill(demo: DemoService) -> None:
    """ytplay killed (SIGKILL: nothing of it runs) while yt-dlp's process idles: that
    process sees its input end and ends too, within a second or two."""
    code = textwrap.dedent(f"""
        import asyncio, sys
        from tui.adapters.ytdlp_resolver import YtDlpResolver

        resolver = YtDlpResolver()
        asyncio.run(resolver.resolve({demo.watch_url("t1")!r}))
        print("resolved", flush=True)
        sys.stdin.read()
        """)
    parent = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "resolved\n"
        [child] = workers(parent.pid)
        pidfd = os.pidfd_open(child)
    finally:
        parent.kill()
        parent.wait()
    try:
        assert select.select([pidfd], [], [], 2.0)[0], "yt-dlp's process outlived ytplay"
    finally:
        os.close(pidfd)
