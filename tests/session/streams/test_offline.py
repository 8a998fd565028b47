"""Offline, through the real session manager, proxy, media cache, libmpv (ao=null) and the
demo service: a queue downloaded earlier plays with the service stopped and not one
connection made (`--offline`); the items not cached say why, are passed over and are not
marked failed, and play once the service is back. Without --offline, a network out of reach
(no name resolves) marks the network down and the cached items play on; with nothing cached
after it, the queue holds at its place. A refused connection does not: that host is down,
not the network, and the other items play."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.helpers import Recorder
from tui.core.models import ItemStatus, QueueItem
from tui.core.nowplaying import PlayState
from tui.core.queue import Queue
from tui.core.retry import RetryPolicy
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.cache import MediaCache
from tui.session.downloads import Downloads, DownloadState
from tui.session.marks import OfflineMarks
from tui.session.playback import Playback
from tui.session.store import TokenStore
from tui.session.streams import SessionManager
from tui.session.streams._connectivity import NOT_CACHED, NOT_CACHED_OFFLINE_RUN


class Listener:
    """A TCP listener on the stopped service's port that counts every connection made to
    it (and closes each): the network ytplay must not touch."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way (Linux)
        except OSError:
            pass  # closed already
        self.sock.close()
        self._thread.join(5)


# RFC 6761: a name under .invalid resolves nowhere, whatever the machine's network.
OUT_OF_REACH = "ytplay-demo.invalid"


def no_name_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Looking up OUT_OF_REACH fails at once as it fails on a machine with no network
    (glibc with no name server to be reached: EAI_AGAIN), in this process, where the session
    and yt-dlp run. Patched rather than asked of the machine's resolver, which may take
    seconds to time out, answer NXDOMAIN, or (a hijacking one) answer at all."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in (OUT_OF_REACH, OUT_OF_REACH.encode()):
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


async def _password() -> str:
    return "demo"


def session_for(resolver, tmp_path: Path, cache: MediaCache, base_url: str) -> SessionManager:
    session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                           cache=cache, policy=RetryPolicy(base=0.05, cap=0.2))
    session.add_service("demo", base_url, client_id="ytplay", username="demo",
                        password=_password)
    return session


async def download(demo: DemoService, resolver, tmp_path: Path, root: Path,
                   refs: list[str]) -> None:
    """Keep `refs` (a real download each), then close everything, as a run of ytplay would."""
    cache = MediaCache(root, 1 << 30)
    session = session_for(resolver, tmp_path, cache, demo.base_url)
    downloads = Downloads(session, cache)
    for ref in refs:
        downloads.keep(ref)
    for ref in refs:
        d = await asyncio.wait_for(downloads.wait(ref), 60)
        assert d.state is DownloadState.DONE, d.reason
    await downloads.aclose()
    await session.aclose()
    cache.close()


@asynccontextmanager
async def queue_playing(session: SessionManager, cache: MediaCache,
                        refs: list[str]) -> AsyncIterator[tuple[Playback, Recorder]]:
    """Playback of `refs` over `session` through libmpv (ao=null), with `OfflineMarks`
    started as the app starts it (each item that cannot play offline says so at once);
    closed with the cache."""
    from tui.adapters.mpv_player import MpvPlayer

    player = MpvPlayer(ao="null")
    pb = Playback(player, session, Queue(QueueItem(r) for r in refs))
    rec = Recorder(pb.bus)
    pb.attach()
    marks = OfflineMarks(pb)
    try:
        await marks.start()
        yield pb, rec
    finally:
        marks.stop()
        await pb.aclose()
        player.close()
        cache.close()


async def playing(rec: Recorder, pb: Playback, index: int) -> None:
    """Until item `index` plays and its position has moved on past one second."""
    await rec.wait_for(lambda: rec.now.index == index and rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 1.0, timeout=30)


@pytest.mark.timeout(180)
async def test_offline_plays_what_was_downloaded_with_no_network(demo_options: DemoOptions,
                                                                 resolver, tmp_path: Path) -> None:
    root = tmp_path / "media"
    with DemoService(demo_options) as demo:
        port, base = demo.port, demo.base_url
        cached_page, other_page = demo.watch_url("t6"), demo.watch_url("t5")
        await download(demo, resolver, tmp_path, root, ["demo:t4", cached_page])

    watcher = Listener(port)  # the service is gone; whatever knocks is counted
    try:
        cache = MediaCache(root, 1 << 30)
        session = session_for(resolver, tmp_path, cache, base)
        session.connectivity.forced = True  # ytplay --offline
        refs = ["demo:t1", "demo:t4", other_page, cached_page]
        async with queue_playing(session, cache, refs) as (pb, rec):
            gone = NOT_CACHED_OFFLINE_RUN
            assert [it.reason for it in pb.queue] == [gone, None, gone, None]
            pb.play(0)
            await playing(rec, pb, 1)            # t1 passed over, t4 plays from the cache
            assert rec.now.title == "Paper Kites"  # the metadata travelled with the entry
            pb.next()
            await playing(rec, pb, 3)            # the page not kept passed over, t6 plays
            for i in (0, 2):
                item = pb.queue[i]
                assert item.status is ItemStatus.QUEUED and item.reason == gone
            assert not [it for it in pb.queue if it.status is ItemStatus.FAILED]
            assert any(gone in e.text for e in rec.logs)
            await asyncio.to_thread(watcher.close)
            assert watcher.accepted == 0           # no resolve, no token, no request

            # Back online: the items passed over were never failed, and play.
            demo_options.port = port
            with DemoService(demo_options) as back:
                assert back.port == port
                session.connectivity.forced = False
                pb.play(0)
                await playing(rec, pb, 0)
                assert pb.queue[0].reason is None
                pb.stop()
    finally:
        watcher.close()


@pytest.mark.timeout(120)
async def test_with_offline_an_item_not_cached_says_it_cannot_play_and_how_it_could(
        demo_options: DemoOptions, resolver, tmp_path: Path) -> None:
    """`ytplay --offline` with nothing cached after the item: it holds there, and says
    that the item cannot play in this run and what would make it playable (D, a download
    fetched when ytplay runs online), not "press space to try again", which cannot help
    (it said so). The network down is another matter: there space does try again (below)."""
    with DemoService(demo_options) as demo:
        base = demo.base_url
    cache = MediaCache(tmp_path / "media", 1 << 30)
    session = session_for(resolver, tmp_path, cache, base)
    session.connectivity.forced = True
    async with queue_playing(session, cache, ["demo:t1", f"{base}/watch/t5"]) as (pb, rec):
        pb.play(0)
        await rec.wait_for(lambda: rec.now.state is PlayState.HOLDING, timeout=30)
        assert pb.queue.current_index == 0
        status = rec.now.status
        assert "try again" not in status, status
        assert "cannot play with --offline" in status and "D downloads it" in status, status
        assert [it.reason for it in pb.queue] == [NOT_CACHED_OFFLINE_RUN] * 2
        assert not [it for it in pb.queue if it.status is ItemStatus.FAILED]


@pytest.mark.timeout(180)
async def test_a_network_out_of_reach_marks_offline_and_cached_items_play(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The network is down: the service's name does not resolve (`no_name_resolves`). A
    stopped service would not do: its refused connections say that host is down, not the
    network (test_a_refused_connection_is_its_items_failure_not_offline)."""
    root = tmp_path / "media"
    with DemoService(demo_options) as demo:
        port = demo.port
        await download(demo, resolver, tmp_path, root, ["demo:t4"])
    no_name_resolves(monkeypatch)
    base = f"http://{OUT_OF_REACH}:{port}"
    page = f"{base}/watch/t5"
    cache = MediaCache(root, 1 << 30)
    session = session_for(resolver, tmp_path, cache, base)
    async with queue_playing(session, cache, ["demo:t1", "demo:t4", page]) as (pb, rec):
        assert [it.reason for it in pb.queue] == [None, None, None]  # online, as far as known
        pb.play(0)
        await playing(rec, pb, 1)
        assert session.connectivity.offline and not session.connectivity.forced
        assert pb.queue[2].reason == NOT_CACHED   # said as soon as the network was found down
        assert pb.queue[0].status is ItemStatus.QUEUED and pb.queue[0].reason == NOT_CACHED
        asked: list[str] = []
        resolve = resolver.resolve

        async def counted(ref: str):  # type: ignore[no-untyped-def]
            asked.append(ref)
            return await resolve(ref)
        monkeypatch.setattr(resolver, "resolve", counted)
        pb.next()  # not cached, and the network is down: not tried, and nothing cached follows
        await rec.wait_for(lambda: pb.queue[2].reason == NOT_CACHED, timeout=30)
        assert asked == []
        # So the place is kept there, with the reason; space tries again.
        assert rec.now.state is PlayState.HOLDING and pb.queue.current_index == 2
        assert NOT_CACHED in rec.now.status and "press space to try again" in rec.now.status
        assert not [it for it in pb.queue if it.status is ItemStatus.FAILED]


@pytest.mark.timeout(180)
async def test_ytplay_offline_in_the_app_plays_the_downloaded_queue(
        demo_options: DemoOptions, resolver, tmp_path: Path) -> None:
    """`ytplay --offline` as the factory builds it, through Pilot: the queue saved by an
    earlier run, one of its pages downloaded, the service stopped."""
    from contextlib import ExitStack

    from tests.helpers import until
    from tui import cli
    from tui.config.paths import media_cache_dir, queue_file
    from tui.factory import build
    from tui.runtime_config import load_config
    from tui.session.store import QueueStore
    from tui.ui.widgets.queue_view import QueueView

    with DemoService(demo_options) as demo:
        port = demo.port
        refs = [demo.watch_url(t) for t in ("t1", "t5", "t6")]
        await download(demo, resolver, tmp_path, media_cache_dir(), [refs[1]])
    QueueStore(queue_file()).save(Queue([QueueItem(ref=r, title=f"Item {i}", duration=100.0)
                                         for i, r in enumerate(refs)], 0), 0.0)
    watcher = Listener(port)
    try:
        path = tmp_path / "config.toml"
        args = cli.parser().parse_args(["--ao", "null", "--offline"])
        with ExitStack() as resources:
            app = build(args, load_config(path), path, resources)
            assert app.playback.session.connectivity.forced and app.downloads is not None
            async with app.run_test(size=(100, 30)) as pilot:
                view = app.query_one(QueueView)

                def row(i: int) -> str:
                    return view.render_line(i - view.scroll_offset.y).text.rstrip()
                await until(pilot, lambda: "not cached" in row(0) and "not cached" in row(2),
                            20)
                assert "not cached" not in row(1)
                await pilot.press("space")  # the saved place, item 0: passed over to item 1
                await until(pilot, lambda: app.playback.now.index == 1
                            and app.playback.now.state is PlayState.PLAYING
                            and (app.playback.now.position or 0) > 1.0, 30)
                assert not [it for it in app.playback.queue if it.status is ItemStatus.FAILED]
                await pilot.press("v")  # nothing to fetch offline: the screen says so
                await pilot.pause()
                assert "offline" in str(app.screen.query_one("#downloads-title").render())
        await asyncio.to_thread(watcher.close)
        assert watcher.accepted == 0
    finally:
        watcher.close()


@pytest.mark.timeout(180)
async def test_a_refused_connection_is_its_items_failure_not_offline(
        demo_options: DemoOptions, resolver, tmp_path: Path) -> None:
    """One item on a local server that was stopped, one of a service there: their
    connections are refused. That is the host's answer — it is down, the network is not — so
    each is retried by the retry policy and held with the reason, and the demo's items, on a
    service that answers, play. None says "not cached — offline" (one refused URL made the
    whole queue say so for 15 s)."""
    with DemoService(DemoOptions(media_dir=demo_options.media_dir, seed=1)) as gone:
        gone_page, gone_base = gone.watch_url("t2"), gone.base_url
    # Stopped: nothing listens on its port (connections refused).
    with DemoService(demo_options) as demo:
        cache = MediaCache(tmp_path / "media", 1 << 30)
        session = session_for(resolver, tmp_path, cache, demo.base_url)
        session.add_service("gone", gone_base, client_id="ytplay", username="demo",
                            password=_password)
        flips: list[bool] = []
        session.connectivity.listeners.append(flips.append)
        attempts = session.policy.attempts
        refs = [gone_page, "gone:t1", "demo:t1", demo.watch_url("t5")]
        async with queue_playing(session, cache, refs) as (pb, rec):
            pb.play(0)  # yt-dlp's connection refused: retried, then held there
            await rec.wait_for(lambda: rec.now.state is PlayState.HOLDING, timeout=30)
            assert pb.queue.current_index == 0 and "Connection refused" in rec.now.status
            retried = [e for e in rec.session_events if e.action == "retrying"
                       and e.resource.startswith("resolving")]
            assert [e.attempt for e in retried] == list(range(2, attempts + 1))

            pb.next()   # the service's token request refused: retried, then held there
            await rec.wait_for(lambda: pb.queue.current_index == 1
                               and rec.now.state is PlayState.HOLDING, timeout=30)
            assert "ConnectError" in rec.now.status
            retried = [e for e in rec.session_events if e.action == "retrying"
                       and e.resource == "access token · gone"]
            assert [e.attempt for e in retried] == list(range(2, attempts + 1))

            pb.next()
            await playing(rec, pb, 2)    # the demo service's item
            pb.next()
            await playing(rec, pb, 3)    # and a page of it, through yt-dlp
            assert not session.connectivity.offline and flips == []
            assert [it.reason for it in pb.queue if it.reason == NOT_CACHED] == []
            assert not any(NOT_CACHED in e.text for e in rec.logs)
            assert not [it for it in pb.queue if it.status is ItemStatus.FAILED]
            pb.stop()
