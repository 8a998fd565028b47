"""The media cache through the real proxy, real libmpv (ao=null) and the demo service: a
replay needs no network, a partial file is filled in by a later play, the cap keeps what
plays and what is pinned, a broken file is noticed and fetched again, a full disk only
costs the caching, with one notice."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Callable

import httpx
import pytest

from tests.helpers import Recorder
from tui.config.schema import CacheSection
from tui.core.bus import EventBus
from tui.core.events import Level, LogEvent
from tui.core.nowplaying import PlayState
from tui.core.retry import RetryPolicy
from tui.demo.catalog import BY_ID
from tui.demo.media import media_file
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_media_cache, make_session
import tui.session.cache._files as media_files
from tui.session.cache import CacheState, MediaCache
from tui.session.marks import CacheMarks
from tui.session.playback import Playback
from tui.session.store import TokenStore
from tui.session.streams import SessionManager

# libmpv reads little ahead and keeps nothing behind: a seek then stop leaves a partial file.
LEAN_CACHE = {"cache": "no", "demuxer_max_bytes": "512KiB", "demuxer_max_back_bytes": "0",
              "demuxer_readahead_secs": "2"}


class Rig:
    def __init__(self, demo: DemoService, session: SessionManager, cache: MediaCache,
                 media_dir: Path) -> None:
        self.demo = demo
        self.session = session
        self.cache = cache
        self.media_dir = media_dir
        self._closers: list[Callable[[], object]] = []
        self._keys = 0

    def original(self, media_id: str) -> bytes:
        return media_file(self.media_dir, BY_ID[media_id]).read_bytes()

    async def playback(self, mpv_options: dict[str, str] | None = None) -> tuple[Playback, Recorder]:
        from tui.adapters.mpv_player import MpvPlayer

        player = MpvPlayer(ao="null", extra_options=mpv_options)
        pb = Playback(player, self.session)
        rec = Recorder(pb.bus)
        pb.attach()
        marks = CacheMarks(pb, self.cache)
        await marks.start()

        async def close() -> None:
            marks.stop()
            await pb.aclose()
            player.close()
        self._closers.append(close)
        return pb, rec

    async def fill(self, ref: str) -> bytes:
        """Fetch `ref` whole through the proxy, as libmpv would; the bytes it got."""
        self._keys += 1
        key = f"fill{self._keys}"
        _info, url, proxied = await self.session.open(key, ref)
        assert proxied
        try:
            async with httpx.AsyncClient(timeout=30) as c:
                body = (await c.get(url)).content
        finally:
            self.session.close(key)
        await asyncio.to_thread(self.cache.flush_now)
        return body

    async def aclose(self) -> None:
        for close in reversed(self._closers):
            await close()  # type: ignore[misc]


@pytest.fixture
async def rig(demo_options: DemoOptions, media_dir: Path, resolver, tmp_path: Path):
    rigs: list[Rig] = []

    async def make(cap: str = "1GB", root: Path | None = None) -> Rig:
        demo = DemoService(demo_options).start()
        bus = EventBus()
        section = CacheSection(max_size=cap, dir=str(root or tmp_path / "media"))
        cache = make_media_cache(section, lambda text: bus.publish(LogEvent(Level.WARNING, text)))
        assert cache is not None
        session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                               cache=cache, bus=bus, policy=RetryPolicy(base=0.01, cap=0.05))

        async def password() -> str:
            return demo.options.password
        session.add_service("demo", demo.base_url, client_id=demo.options.client_id,
                            username=demo.options.username, password=password)
        await cache.ready()
        r = Rig(demo, session, cache, media_dir)
        rigs.append(r)
        return r
    yield make
    for r in rigs:
        await r.aclose()
        await r.session.aclose()
        r.cache.close()
        r.demo.stop()


def _data(cache: MediaCache, ref: str) -> bytes:
    return media_files.data_path(cache.root, media_files.key_for(ref)).read_bytes()


@pytest.mark.timeout(120)
async def test_a_track_played_once_plays_again_with_the_service_stopped(rig) -> None:
    r = await rig()
    pb, rec = await r.playback()
    pb.add(["demo:t1"])
    pb.play(0)
    # libmpv reads the whole file ahead; the queue and Now Playing show it cached.
    await rec.wait_for(lambda: pb.queue[0].cached == 1.0, timeout=60)
    await rec.wait_for(lambda: rec.now.cached == 1.0)
    assert _data(r.cache, "demo:t1") == r.original("t1")
    record = json.loads(media_files.meta_path(r.cache.root, media_files.key_for("demo:t1"))
                        .read_text())
    # Checked against the checksum the service sent (Repr-Digest), not just taken.
    assert record["checksum_from"] == "source"
    assert record["checksum"] == "sha256:" + hashlib.sha256(r.original("t1")).hexdigest()
    pb.stop()
    await rec.wait_for(lambda: rec.now.state is PlayState.IDLE)
    # The playback session is stopped at the service in the background: let it finish.
    await r.session._settled()  # noqa: SLF001 - the closes under way, awaited
    assert r.demo.state.counts["session:stop"] == 1

    before = dict(r.demo.state.counts)
    r.demo.stop()  # no service, no token, no yt-dlp page: the cache or nothing
    events = len(rec.session_events)
    pb.play(0, start=30.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 31.0, timeout=30)
    pb.seek(-20)  # a Range request, answered from the file
    await rec.wait_for(lambda: 10 < (rec.now.position or 0) < 20, timeout=30)
    await rec.wait_for(lambda: (rec.now.position or 0) > 13)
    assert dict(r.demo.state.counts) == before
    assert rec.now.title == "Low Tide" and rec.now.artist == "Demo Ensemble"
    assert not [e for e in rec.session_events[events:] if e.failure]
    assert not [e for e in rec.logs if e.level is Level.ERROR]
    assert r.session.book.get(f"url:{pb.target.key}") is None  # a cached item: nothing expires


@pytest.mark.timeout(150)
async def test_a_partial_file_is_completed_by_a_later_play(rig, demo_options: DemoOptions
                                                            ) -> None:
    # Bodies paced at 1 MiB/s: the request libmpv opens at byte 0 (before it seeks) cannot
    # have relayed the whole file by the time it is dropped. Unpaced, loopback's socket
    # buffers took all 6.7 MB in one go when a busy machine slowed libmpv's seek, and the
    # "partial" file was complete.
    demo_options.media_rate = 1 << 20
    r = await rig()
    pb, rec = await r.playback(LEAN_CACHE)
    pb.add(["demo:t2"])
    pb.play(0, start=100.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 101.0, timeout=40)
    pb.stop()
    await rec.wait_for(lambda: 0 < pb.queue[0].cached < 1.0, timeout=30)
    partial = r.cache.lookup("demo:t2")
    assert partial.state is CacheState.PARTIAL and partial.cached < (partial.length or 0)
    pb.detach()  # (its aclose would close the session too)

    pb2, rec2 = await r.playback()  # libmpv's own read-ahead: it fetches the whole file
    pb2.add(["demo:t2"])
    before = r.demo.state.counts["media:206"] + r.demo.state.counts["media:200"]
    pb2.play(0)
    await rec2.wait_for(lambda: pb2.queue[0].cached == 1.0, timeout=60)
    assert r.cache.lookup("demo:t2").state is CacheState.COMPLETE
    assert _data(r.cache, "demo:t2") == r.original("t2")
    assert r.demo.state.counts["media:206"] + r.demo.state.counts["media:200"] > before


@pytest.mark.timeout(150)
async def test_eviction_at_the_cap_keeps_the_playing_and_pinned_items(rig) -> None:
    r0 = await rig()
    sizes = {m: len(r0.original(m)) for m in ("t1", "t2", "t3", "t4")}
    cap = sizes["t1"] + sizes["t2"] + sizes["t4"] + 100_000
    assert sizes["t3"] > sizes["t4"] + 100_000  # t3 cannot fit in what evicting t4 frees
    r = await rig(cap=str(cap), root=r0.cache.root.with_name("capped"))
    await r.fill("demo:t2")   # the oldest: it will play
    await r.fill("demo:t4")
    r.cache.pin("demo:t1")
    await r.fill("demo:t1")
    assert {m: r.cache.lookup(f"demo:{m}").state for m in ("t1", "t2", "t4")} == \
        dict.fromkeys(("t1", "t2", "t4"), CacheState.COMPLETE)

    pb, rec = await r.playback()
    pb.add(["demo:t2"])
    pb.play(0)  # from the cache, held while it plays
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING, timeout=30)
    body = await r.fill("demo:t3")   # a new item wants room
    assert body == r.original("t3")  # relayed whole: only the caching is limited
    states = {m: r.cache.lookup(f"demo:{m}").state for m in ("t1", "t2", "t3", "t4")}
    assert states == {"t1": CacheState.COMPLETE, "t2": CacheState.COMPLETE,
                      "t3": CacheState.PARTIAL, "t4": CacheState.ABSENT}
    assert r.cache.size() <= cap
    on_disk = sum(p.stat().st_blocks * 512 for p in r.cache.root.glob("*.media"))
    assert on_disk <= cap + 64 * 1024  # sparse files: blocks of what was written
    played = rec.now.position or 0
    await rec.wait_for(lambda: (rec.now.position or 0) > played + 1)  # and t2 plays on
    assert rec.now.state is PlayState.PLAYING


@pytest.mark.timeout(150)
@pytest.mark.parametrize("damage", ["flip", "truncate"])
async def test_a_broken_cache_file_is_noticed_and_fetched_again(rig, damage) -> None:
    r = await rig()
    await r.fill("demo:t3")
    path = media_files.data_path(r.cache.root, media_files.key_for("demo:t3"))
    if damage == "flip":
        with path.open("r+b") as f:
            f.seek(1_000_000)
            byte = f.read(1)
            f.seek(1_000_000)
            f.write(bytes([byte[0] ^ 0xFF]))
    else:
        os.truncate(path, path.stat().st_size - 5000)
    assert r.cache.lookup("demo:t3").state is CacheState.COMPLETE  # not yet noticed
    media = r.demo.state.counts["media:200"] + r.demo.state.counts["media:206"]

    pb, rec = await r.playback()
    pb.add(["demo:t3"])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING, timeout=30)
    assert r.demo.state.counts["media:200"] + r.demo.state.counts["media:206"] > media
    await rec.wait_for(lambda: r.cache.lookup("demo:t3").state is CacheState.COMPLETE
                       and pb.queue[0].cached == 1.0, timeout=60)
    assert _data(r.cache, "demo:t3") == r.original("t3")


async def _plays_with_one_notice(r: Rig) -> list[LogEvent]:
    pb, rec = await r.playback()
    pb.add(["demo:t4", "demo:t5"])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 1.0, timeout=40)
    await rec.wait_for(lambda: any("cannot write" in e.text for e in rec.logs), timeout=30)
    pb.next()  # another item: still playing, still only the one notice
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 1.0, timeout=40)
    assert r.cache.bypassed is not None
    assert r.cache.lookup("demo:t5").state is CacheState.ABSENT
    return [e for e in rec.logs if "cannot write" in e.text]


@pytest.mark.timeout(120)
async def test_a_full_disk_degrades_to_streaming_with_one_notice(rig, monkeypatch) -> None:
    def full(fd: int, offset: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(media_files, "write_at", full)
    r = await rig()
    notices = await _plays_with_one_notice(r)
    assert len(notices) == 1 and "No space left on device" in notices[0].text
    assert notices[0].level is Level.WARNING


def _can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.timeout(120)
@pytest.mark.skipif(not _can_mount(), reason="mounting a tmpfs needs root")
async def test_a_full_tmpfs_degrades_to_streaming_with_one_notice(rig, tmp_path) -> None:
    root = tmp_path / "tiny"
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mount refused: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        r = await rig(root=root)
        notices = await _plays_with_one_notice(r)
        assert len(notices) == 1 and "No space left on device" in notices[0].text
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.mark.timeout(60)
async def test_the_proxy_answers_ranges_from_the_cache_byte_for_byte(rig) -> None:
    r = await rig()
    ref = r.demo.watch_url("t6")
    original = r.original("t6")
    assert await r.fill(ref) == original
    media = r.demo.state.counts["media:200"] + r.demo.state.counts["media:206"]
    _info, url, _ = await r.session.open("again", ref)
    n = len(original)
    async with httpx.AsyncClient(timeout=30) as c:
        whole = await c.get(url)
        part = await c.get(url, headers={"Range": "bytes=5000-5999"})
        tail = await c.get(url, headers={"Range": f"bytes={n - 10}-"})
        past = await c.get(url, headers={"Range": f"bytes={n}-"})
    assert whole.status_code == 200 and whole.content == original
    assert part.status_code == 206 and part.content == original[5000:6000]
    assert part.headers["Content-Range"] == f"bytes 5000-5999/{n}"
    assert tail.content == original[-10:]
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{n}"
    assert r.demo.state.counts["media:200"] + r.demo.state.counts["media:206"] == media
    r.session.close("again")


@pytest.mark.timeout(60)
async def test_a_request_partly_cached_is_answered_from_the_file_then_upstream(rig) -> None:
    r = await rig()
    ref = r.demo.watch_url("t6")
    original = r.original("t6")
    _info, url, _ = await r.session.open("k", ref)
    async with httpx.AsyncClient(timeout=30) as c:
        head = await c.get(url, headers={"Range": "bytes=0-99999"})  # leaves [0, 100000)
        await asyncio.to_thread(r.cache.flush_now)
        assert r.cache.run_end(ref, 0) == 100_000
        ranges_before = len(r.demo.state.media_ranges)
        whole = await c.get(url)                      # 100 kB from the file, the rest upstream
        middle = await c.get(url, headers={"Range": "bytes=50000-149999"})
    assert head.content == original[:100_000]
    assert whole.status_code == 200 and whole.content == original
    assert middle.status_code == 206 and middle.content == original[50_000:150_000]
    assert middle.headers["Content-Range"] == f"bytes 50000-149999/{len(original)}"
    # Upstream was asked only from where the file's bytes ended.
    assert r.demo.state.media_ranges[ranges_before] == "bytes=100000-"
    r.session.close("k")
    await asyncio.to_thread(r.cache.flush_now)
    assert r.cache.lookup(ref).state is CacheState.COMPLETE
