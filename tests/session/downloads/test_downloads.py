"""Downloads through the real session manager, the media cache and the demo service: a kept
track is fetched to the end while its signed URL expires and is revoked under it, each
renewal shown; a download killed with SIGKILL resumes by range from what is on disk."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.helpers import Recorder
from tui.core.retry import RetryPolicy
from tui.demo.catalog import BY_ID
from tui.demo.media import media_file
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
import tui.session.cache._files as media_files
from tui.session.cache import CacheState, MediaCache
from tui.session.downloads import Downloads, DownloadState
from tui.session.store import TokenStore

WORKER = Path(__file__).with_name("download_worker.py")


async def until(downloads: Downloads, cond: Callable[[], bool], timeout: float = 60) -> None:
    """Until `cond` holds, checked whenever the downloads say something changed."""
    changed = asyncio.Event()
    downloads.listeners.append(changed.set)
    try:
        async def loop() -> None:
            while not cond():
                changed.clear()
                await changed.wait()
        await asyncio.wait_for(loop(), timeout)
    finally:
        downloads.listeners.remove(changed.set)


@pytest.fixture
async def rig(demo_options: DemoOptions, resolver, tmp_path: Path):
    demo_options.url_ttl = 3            # expires several times during one download
    demo_options.token_ttl = 4
    demo_options.streams_need_token = True
    demo_options.media_rate = 1 << 20  # 1 MiB/s: the download takes seconds, not a blink
    demo_options.drop_rate = 1.0        # every body cut after 256 KiB: many requests
    with DemoService(demo_options) as demo:
        cache = MediaCache(tmp_path / "media", 1 << 30)
        session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                               cache=cache, policy=RetryPolicy(base=0.05, cap=0.5))

        async def password() -> str:
            return "demo"
        session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                            password=password)
        downloads = Downloads(session, cache)
        yield demo, session, cache, downloads
        await downloads.aclose()
        await session.aclose()
        cache.close()


@pytest.mark.timeout(120)
async def test_download_completes_while_its_urls_expire(rig, media_dir: Path) -> None:
    demo, session, cache, downloads = rig
    rec = Recorder(session.bus)
    leases_seen: set[str] = set()
    session.book.on_change = lambda: leases_seen.update(l.owner for l in session.book.values())
    d = downloads.keep("demo:t4")
    assert cache.is_pinned("demo:t4")

    # A third in: every URL handed out so far dies, as a CDN key rotation would.
    await until(downloads, lambda: d.total is not None and d.done > d.total // 3)
    demo.state.revoke_urls()
    done = await asyncio.wait_for(downloads.wait("demo:t4"), 90)

    assert done.state is DownloadState.DONE, done.reason
    assert cache.lookup("demo:t4").state is CacheState.COMPLETE
    original = media_file(media_dir, BY_ID["t4"]).read_bytes()
    stored = media_files.data_path(cache.root, media_files.key_for("demo:t4")).read_bytes()
    assert stored == original
    assert cache.verify_now("demo:t4") is True
    # The revoked URL was refused and renewed through the manager, and the short-lived
    # URLs and tokens were renewed ahead as well; the Retry log heard of it.
    assert demo.state.counts["media:expired"] >= 1
    actions = [e.action for e in rec.session_events]
    assert actions.count("refreshed") >= 2, actions
    assert "Paper Kites" in leases_seen           # its stream URL lease, in the Session panel
    # Cut after cut, each request went on from where the last one stopped: never from 0 again.
    ranges = demo.state.media_ranges
    assert ranges[0] == "bytes=0-" and len(ranges) > 10
    assert all(r is not None and r != "bytes=0-" for r in ranges[1:])
    assert session.stream("download1") is None    # closed when done: no lease left behind


@pytest.mark.timeout(60)
async def test_cancel_unpins_and_stops(rig) -> None:
    demo, session, cache, downloads = rig
    d = downloads.keep("demo:t2")
    await until(downloads, lambda: d.done > 0)
    downloads.cancel("demo:t2")
    assert not cache.is_pinned("demo:t2")
    assert downloads.get("demo:t2") is None
    asked = len(demo.state.media_ranges)
    await asyncio.sleep(1.0)  # the scenario itself: nothing more is asked after a cancel
    assert len(demo.state.media_ranges) <= asked + 1
    assert cache.lookup("demo:t2").state is not CacheState.COMPLETE


@pytest.mark.timeout(180)
async def test_download_survives_kill_9_and_resumes_by_range(demo_options: DemoOptions,
                                                             tmp_path: Path,
                                                             media_dir: Path) -> None:
    demo_options.media_rate = 1 << 20   # 1 MiB/s: the kill lands mid-way
    root = tmp_path / "media"
    with DemoService(demo_options) as demo:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
        args = [sys.executable, str(WORKER), demo.base_url, str(root), "demo:t1"]
        root.mkdir()
        first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
        try:
            # Progress on disk: the metadata lists a range (it is saved every 4 MiB of 8),
            # heard through inotify as the file is replaced.
            meta = media_files.meta_path(root, media_files.key_for("demo:t1"))
            await asyncio.wait_for(_until_on_disk(root, meta, first), 60)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        had = _cached(meta)
        assert 0 < had < media_file(media_dir, BY_ID["t1"]).stat().st_size
        before = len(demo.state.media_ranges)

        demo.options.media_rate = 0  # the rest at full speed
        second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert "done" in second.stdout

        resumed = demo.state.media_ranges[before]
        assert resumed is not None and resumed.startswith("bytes=")
        assert int(resumed.removeprefix("bytes=").split("-")[0]) >= had > 0
        assert all(r != "bytes=0-" for r in demo.state.media_ranges[before:])
    cache = MediaCache(root, 1 << 30)
    cache.load()
    assert cache.lookup("demo:t1").state is CacheState.COMPLETE
    assert cache.lookup("demo:t1").pinned
    assert cache.verify_now("demo:t1") is True
    stored = media_files.data_path(root, media_files.key_for("demo:t1")).read_bytes()
    assert stored == media_file(media_dir, BY_ID["t1"]).read_bytes()
    cache.close()


async def _until_on_disk(root: Path, meta: Path, worker: subprocess.Popen[str]) -> None:
    """Until `meta` lists a cached range, woken by every change in `root`."""
    from watchfiles import awatch

    if _cached(meta):
        return
    async for _changes in awatch(root, debounce=0, step=10):
        assert worker.poll() is None, "the download ended before it was killed"
        if _cached(meta):
            return


def _cached(meta: Path) -> int:
    """Bytes the metadata file lists as present (0 while there is none, or mid-rename)."""
    try:
        record = json.loads(meta.read_text())
    except (OSError, ValueError):
        return 0
    return sum(end - start for start, end in record.get("ranges", []))


@pytest.mark.timeout(120)
async def test_keys_keep_the_selected_item_and_the_view_shows_it(rig, player) -> None:
    from tests.helpers import until as app_until
    from tui.session.playback import Playback
    from tui.ui.app import YtplayApp
    from tui.ui.screens.downloads import DownloadsScreen
    from tui.ui.widgets.downloads_view import DownloadsView

    demo, session, cache, downloads = rig
    demo.options.drop_rate = 0.0
    demo.options.streams_need_token = False  # the page's media carries no bearer token
    pb = Playback(player, session)
    pb.queue.add(["demo:t4", demo.watch_url("t2")])
    app = YtplayApp(pb, downloads=downloads)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("j", "D")                  # the second item, a web page
        page = demo.watch_url("t2")
        assert cache.is_pinned(page)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, DownloadsScreen)
        view = app.screen.query_one(DownloadsView)
        try:
            await app_until(pilot, lambda: downloads.get(page) is not None
                            and downloads.get(page).state is DownloadState.DONE, timeout=60)
        except AssertionError:
            raise AssertionError(f"{downloads.items()}") from None
        await pilot.pause()
        [entry] = [e for e in _entries(view) if "Copper Lanterns" in e]
        assert "100%" in entry and entry.split()[-1] == "done", entry
        await pilot.press("escape", "ctrl+d")        # the whole queue: the other one too
        await app_until(pilot, lambda: downloads.get("demo:t4") is not None)
        await pilot.press("v")
        await pilot.pause()
        view = app.screen.query_one(DownloadsView)
        assert view.refs == [page, "demo:t4"]
        await pilot.press("x")                       # the row under the cursor, the first
        await pilot.pause()
        assert view.refs == ["demo:t4"] and downloads.get(page) is None
        assert not cache.is_pinned(page) and cache.is_pinned("demo:t4")
        assert cache.lookup(page).state is CacheState.COMPLETE  # kept, as ordinary cache


def _entries(view) -> list[str]:  # type: ignore[no-untyped-def]
    """What the downloads view draws, one string per download (its lines joined by a
    space, a wrapped reason read back as one sentence)."""
    entries: list[list[str]] = []
    for line in (view.render_line(y).text for y in range(view.size.height)):
        if line.strip() and not line.startswith(" "):  # a title; the state is indented
            entries.append([line.strip()])
        elif line.strip() and entries:
            entries[-1].append(line.strip())
    return [" ".join(e) for e in entries]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_the_reason_of_a_failed_download_is_read_whole(rig, player,
                                                               size: tuple[int, int]) -> None:
    """A download of a stream that cannot be kept fails with a sentence for a reason: the
    downloads view shows all of it, wrapped under the title, at 120x36 and at 80x24 (a
    table's column cut it at the screen's edge)."""
    from tests.helpers import until as app_until
    from tui.core.models import QueueItem
    from tui.session.playback import Playback
    from tui.ui.app import YtplayApp
    from tui.ui.widgets.downloads_view import DownloadsView

    demo, session, cache, downloads = rig
    demo.options.streams_need_token = False
    hls = demo.hls_url("t4")
    title = "Paper Kites, as HLS, from the demo service's own catalogue"
    pb = Playback(player, session)
    pb.queue.extend([QueueItem(ref=hls, title=title)])
    app = YtplayApp(pb, downloads=downloads)
    async with app.run_test(size=size) as pilot:
        await pilot.press("D")
        await app_until(pilot, lambda: downloads.get(hls) is not None
                        and downloads.get(hls).state is DownloadState.FAILED, timeout=60)
        reason = downloads.get(hls).reason
        assert reason and "cannot be kept" in reason
        await pilot.press("v")
        await pilot.pause()
        view = app.screen.query_one(DownloadsView)
        drawn = " ".join(" ".join(view.render_line(y).text.split())
                         for y in range(view.size.height))
        assert " ".join(f"failed: {reason}".split()) in drawn, drawn
        assert "Paper Kites" in drawn, drawn


@pytest.mark.timeout(60)
async def test_a_stream_that_cannot_be_kept_fails_with_the_reason_and_is_unpinned(rig) -> None:
    demo, session, cache, downloads = rig
    demo.options.streams_need_token = False
    hls = demo.hls_url("t4")  # a page yt-dlp resolves to an HLS playlist
    downloads.keep(hls)
    d = await asyncio.wait_for(downloads.wait(hls), 40)
    assert d.state is DownloadState.FAILED and "cannot be kept" in (d.reason or "")
    assert not cache.is_pinned(hls)             # not tried again at every start
    assert session.stream("download1") is None  # what it opened was closed


@pytest.mark.timeout(120)
async def test_the_stream_limit_waits_without_holding_a_slot(rig) -> None:
    demo, session, cache, downloads = rig
    demo.options.stream_limit = 1          # one service stream at a time
    demo.options.drop_rate = 0.0
    demo.options.streams_need_token = False
    downloads.limit_wait = 0.5
    page = demo.watch_url("t6")            # yt-dlp's: counts against no limit
    reasons: list[str] = []
    finished: list[str] = []
    downloads.listeners.append(lambda: [
        reasons.append(d.reason) for d in downloads.items() if d.reason] and None)
    downloads.listeners.append(lambda: [
        finished.append(d.ref) for d in downloads.items()
        if d.state is DownloadState.DONE and d.ref not in finished] and None)
    for ref in ("demo:t4", "demo:t2", page):
        downloads.keep(ref)
    for ref in ("demo:t4", "demo:t2", page):
        d = await asyncio.wait_for(downloads.wait(ref), 90)
        assert d.state is DownloadState.DONE, d.reason
    assert any("stream limit" in r for r in reasons)
    # While the second service item waited, the page took the free slot and went on.
    assert finished.index(page) < finished.index("demo:t2"), finished
    for ref in ("demo:t4", "demo:t2", page):
        assert cache.verify_now(ref) is True


@pytest.mark.timeout(90)
async def test_transient_failures_are_retried_and_shown(rig) -> None:
    demo, session, cache, downloads = rig
    rec = Recorder(session.bus)
    demo.options.fault_paths = ("/media/",)   # only the download's own requests fail
    d = downloads.keep("demo:t4")
    await until(downloads, lambda: d.done > 0)
    demo.options.fail_next = 2                 # a burst of 503s mid-download
    done = await asyncio.wait_for(downloads.wait("demo:t4"), 60)
    assert done.state is DownloadState.DONE, done.reason
    assert demo.state.counts["fault:503"] == 2
    retries = [e for e in rec.session_events
               if e.action == "retrying" and e.resource == "download · Paper Kites"]
    assert len(retries) == 2 and retries[0].failure == "transient", rec.session_events
    assert cache.verify_now("demo:t4") is True


async def _keep_from(handler, resolver, tmp_path: Path, stop: Callable[[], bool],
                     policy: RetryPolicy | None = None):
    """A download of the file `handler` serves from a server on loopback, followed until
    it is done, failed, or `stop()`."""
    from aiohttp import web

    app = web.Application()
    app.router.add_route("*", "/song.wav", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    cache = MediaCache(tmp_path / "media", 1 << 30)
    session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                           cache=cache, **({"policy": policy} if policy else {}))
    downloads = Downloads(session, cache)
    try:
        d = downloads.keep(f"http://127.0.0.1:{runner.addresses[0][1]}/song.wav")
        await until(downloads, lambda: stop() or d.state in (DownloadState.FAILED,
                                                             DownloadState.DONE))
        return d
    finally:
        await downloads.aclose()
        await session.aclose()
        cache.close()
        await runner.cleanup()


@pytest.mark.timeout(60)
async def test_a_file_that_does_not_match_the_servers_checksum_says_so(resolver,
                                                                        tmp_path: Path) -> None:
    """The server sends a `Repr-Digest` the body does not match: the completed file is
    dropped, and the download fails saying why, after one fetch (it said "the media cache
    is full of downloads" of an empty cache)."""
    import base64
    import hashlib

    from aiohttp import web

    body = os.urandom(300_000)
    wrong = base64.b64encode(hashlib.sha256(b"another file").digest()).decode()
    fetched: list[str | None] = []

    async def song(request: web.Request) -> web.Response:
        if request.method == "GET":
            fetched.append(request.headers.get("Range"))
        return web.Response(body=body, content_type="audio/wav",
                            headers={"Repr-Digest": f"sha-256=:{wrong}:"})

    d = await _keep_from(song, resolver, tmp_path, lambda: False)
    assert d.state is DownloadState.FAILED
    assert "checksum" in (d.reason or "") and "full" not in (d.reason or ""), d.reason
    assert len(fetched) <= 2, fetched  # yt-dlp's look, and the one download: no loop


@pytest.mark.timeout(60)
async def test_a_server_that_ignores_range_and_cuts_every_body_is_not_hammered(
        resolver, tmp_path: Path) -> None:
    """Every answer is the whole file from byte 0 (Range ignored), cut at the same place:
    no request gets past what is cached, which is no progress, so it counts against the
    retry policy and ends (it went on from the same byte ~180 times a second, forever)."""
    from aiohttp import web

    body = os.urandom(300_000)
    fetched: list[str | None] = []

    async def song(request: web.Request) -> web.StreamResponse:
        if request.method != "GET":
            return web.Response(headers={"Content-Type": "audio/wav"}, body=body)
        fetched.append(request.headers.get("Range"))
        response = web.StreamResponse(headers={"Content-Type": "audio/wav"})
        response.content_length = 1_000_000
        await response.prepare(request)
        await response.write(body)
        assert request.transport is not None
        request.transport.close()  # cut: 300,000 of the 1,000,000 bytes it announced
        return response

    d = await _keep_from(song, resolver, tmp_path, lambda: len(fetched) > 50,
                         RetryPolicy(base=0.05, cap=0.1))
    assert d.state is DownloadState.FAILED, (d, len(fetched))
    # yt-dlp's look, the policy's 4 attempts and the renewals between them (each a look):
    # about 8, against hundreds a second before
    assert len(fetched) <= 15, len(fetched)
    assert "cut off" in (d.reason or ""), d.reason
