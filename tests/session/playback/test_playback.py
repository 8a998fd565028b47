"""The playback session with real libmpv, real yt-dlp and the demo service."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Recorder
from tui.core.events import Level
from tui.core.models import ItemStatus
from tui.core.nowplaying import PlayState
from tui.core.queue import Queue
from tui.demo.service import DemoService
from tui.session.playback import Playback, PlaybackSettings
from tui.session.store import QueueStore


async def test_end_of_file_moves_to_the_next_item(demo: DemoService, player, session) -> None:
    pb = Playback(player, session)
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url("t4"), demo.watch_url("t2")])
    pb.play(0, start=129.0)  # t4 is 131 s long
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING and rec.now.index == 0)
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 0.3)
    assert rec.now.title == "Copper Lanterns"
    assert pb.queue[0].status is ItemStatus.READY
    assert pb.queue[1].status is ItemStatus.PLAYING
    pb.detach()


async def test_unresolvable_item_is_skipped_with_a_reason(demo: DemoService, player,
                                                          session) -> None:
    pb = Playback(player, session)
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.base_url + "/watch/missing", demo.watch_url("t1")], play=True)
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING)
    failed = pb.queue[0]
    assert failed.status is ItemStatus.FAILED and "404" in (failed.reason or "")
    assert any(e.level is Level.ERROR and "404" in e.text and "skipping" in e.text
               for e in rec.logs)
    pb.detach()


async def test_pause_seek_and_volume(demo: DemoService, player, session) -> None:
    pb = Playback(player, session)
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url("t1")], play=True)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PAUSED)
    assert player._mpv.pause is True                       # libmpv itself paused
    start = rec.now.position or 0.0
    pb.seek(30)
    assert abs((rec.now.position or 0) - (start + 30)) < 0.01  # shown at once
    # and where libmpv is, not only ytplay (it says so with its next report)
    await rec.wait_for(lambda: player.position is not None
                       and abs(player.position - (start + 30)) < 1.0)
    assert rec.now.state is PlayState.PAUSED               # a seek does not unpause
    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    assert player._mpv.pause is False
    before = rec.now.volume
    pb.change_volume(-10)
    assert rec.now.volume == before - 10 == player.volume
    pb.detach()


async def test_queue_survives_a_restart(tmp_path: Path, demo: DemoService, player,
                                        session) -> None:
    store = QueueStore(tmp_path / "queue.json")
    pb = Playback(player, session, store=store)
    pb.attach()
    pb.add([demo.watch_url("t1"), demo.watch_url("t2")])
    pb.detach()  # saves
    queue, _ = QueueStore(tmp_path / "queue.json").load()
    assert [i.ref for i in queue] == [demo.watch_url("t1"), demo.watch_url("t2")]


def test_unreadable_queue_file_is_set_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    path.write_text("{not json")
    queue, pos = QueueStore(path).load()
    assert (len(queue), pos) == (0, 0.0)
    kept = list(tmp_path.glob("queue.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"


def test_empty_queue_is_saved_and_loaded(tmp_path: Path) -> None:
    store = QueueStore(tmp_path / "q.json")
    q = Queue()
    q.add(["a", "b"])
    q.jump(1)
    store.save(q, 12.5)
    loaded, pos = store.load()
    assert ([i.ref for i in loaded], loaded.current_index, pos) == (["a", "b"], 1, 12.5)


async def test_long_items_resume_where_they_were_left(demo: DemoService, player,
                                                      session) -> None:
    pb = Playback(player, session, settings=PlaybackSettings(resume_threshold=60))  # the demo tracks are 2-4 minutes
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url("t1"), demo.watch_url("t2")])
    pb.play(0, start=50.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING and (rec.now.position or 0) > 50.5)
    pb.next()
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING)
    assert 50 < pb.queue[0].resume_at < 55
    pb.previous()  # within the first 3 s of t2: back to t1, at its saved place
    await rec.wait_for(lambda: rec.now.index == 0 and rec.now.state is PlayState.PLAYING
                       and rec.now.position is not None)
    assert abs(rec.now.position - pb.queue[0].resume_at) < 1.5
    pb.detach()


def _errors(rec: Recorder) -> list[str]:
    return [e.text for e in rec.logs if e.level is Level.ERROR]


class CountingResolver:
    """The real yt-dlp resolver, counting the calls that reach it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.resolved: list[tuple[str, float, float | None]] = []  # ref, when, expires_at

    async def resolve(self, ref: str):
        import time

        self.calls.append(ref)
        info = await self.inner.resolve(ref)
        self.resolved.append((ref, time.time(), info.expires_at))
        return info

    async def expand(self, ref: str):
        return await self.inner.expand(ref)


async def test_next_does_not_call_yt_dlp_when_pre_resolved(demo: DemoService, player,
                                                           resolver, tmp_path: Path) -> None:
    import asyncio

    from tui.factory import make_session
    from tui.session.store import TokenStore

    counting = CountingResolver(resolver)
    session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
    pb = Playback(player, session, settings=PlaybackSettings(resolve_ahead=2, gapless=False))  # pre-resolve on its own
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url(t) for t in ("t1", "t2", "t3", "t4")])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    ahead = list(session.ahead.streams.values())
    assert len(ahead) == 2                                 # t2 and t3, not t4
    await asyncio.gather(*ahead)
    assert sorted(counting.calls) == sorted(demo.watch_url(t) for t in ("t1", "t2", "t3"))
    assert any(l.owner == "next: Copper Lanterns" for l in session.book.values())
    pb.next()
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING)
    assert demo.watch_url("t2") in counting.calls and counting.calls.count(demo.watch_url("t2")) == 1
    # t4 now comes up; removing it drops its pre-resolved stream.
    t4 = pb.queue[3].uid
    assert t4 in session.ahead.streams
    pb.edits.remove(3)
    assert t4 not in session.ahead.streams
    pb.detach()
    await session.aclose()


async def test_a_5000_entry_playlist_expands_lazily(demo: DemoService, player, resolver,
                                                    tmp_path: Path) -> None:
    import time

    from tui.factory import make_session
    from tui.session.store import TokenStore

    counting = CountingResolver(resolver)  # flat look-ups (expand) are not counted
    session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
    pb = Playback(player, session, settings=PlaybackSettings(resolve_ahead=2))
    rec = Recorder(pb.bus)
    pb.attach()
    started = time.monotonic()
    pb.add([f"{demo.base_url}/playlist/5000", demo.watch_url("t6")])
    await rec.wait_for(lambda: len(pb.queue) == 5001, timeout=60)
    took = time.monotonic() - started
    assert took < 20, f"expanding took {took:.1f}s"
    assert pb.queue[0].title == "Low Tide #1" and pb.queue[0].duration == 184.0
    assert pb.queue[4999].title == "Copper Lanterns #5000"  # 4999 % 6 == 1
    assert pb.queue[5000].ref == demo.watch_url("t6")
    await rec.wait_for(lambda: pb.queue[5000].title == "Rust and Honey")  # single: metadata
    assert counting.calls == []                    # nothing resolved yet
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    assert counting.calls[0] == demo.watch_url("t1") and len(counting.calls) <= 3
    pb.detach()
    await session.aclose()


async def _handed_over(pb: Playback, rec: Recorder) -> None:
    """Until the next item is opened and handed to libmpv (it posts no event of its own)."""
    import asyncio

    async def wait() -> None:
        while pb.ahead.prepared is None or pb.ahead.prepared.entry is None:
            await asyncio.sleep(0.02)
    await asyncio.wait_for(wait(), 15)


async def test_next_switches_to_the_stream_handed_over_ahead(demo: DemoService, player,
                                                             resolver, tmp_path: Path) -> None:
    from tui.factory import make_session
    from tui.session.store import TokenStore

    counting = CountingResolver(resolver)
    session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
    pb = Playback(player, session, settings=PlaybackSettings(resolve_ahead=1))
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url("t1"), demo.watch_url("t2"), demo.watch_url("t3")])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    await _handed_over(pb, rec)
    prepared = pb.ahead.prepared
    assert prepared.item is pb.queue[1]
    calls = list(counting.calls)
    pb.next()
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 0.2)
    assert pb.transport.current == prepared.entry  # the handed-over entry, not a new load
    assert counting.calls[: len(calls)] == calls and demo.watch_url("t2") not in counting.calls[len(calls):]
    assert pb.queue[0].status is ItemStatus.READY  # the previous one is marked played
    assert rec.now.title == "Copper Lanterns" and not _errors(rec)
    # Jumping elsewhere drops what was handed over for item 2.
    await _handed_over(pb, rec)
    dropped = pb.ahead.prepared.opening.key
    pb.play(0)
    await rec.wait_for(lambda: rec.now.index == 0 and rec.now.state is PlayState.PLAYING)
    assert session.stream(dropped) is None
    pb.detach()
    await session.aclose()


async def test_the_end_of_a_track_moves_on_gaplessly(demo: DemoService, player, session) -> None:
    pb = Playback(player, session)
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url("t4"), demo.watch_url("t2")])
    pb.play(0, start=127.0)  # t4 is 131 s long
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    await _handed_over(pb, rec)
    entry = pb.ahead.prepared.entry
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 0.5, timeout=20)
    assert pb.transport.current == entry           # libmpv moved on by itself
    assert not _errors(rec) and rec.now.title == "Copper Lanterns"
    pb.detach()


async def test_streams_resolved_ahead_are_renewed_before_they_expire(
        demo_options, player, resolver, tmp_path: Path) -> None:
    from tui.factory import make_session
    from tui.session.store import TokenStore

    demo_options.url_ttl = 8  # renewed 6 s after issue: 2 s (a quarter) before it expires
    with DemoService(demo_options) as demo:
        counting = CountingResolver(resolver)
        session = make_session(counting, token_store=TokenStore(tmp_path / "t.json"))
        pb = Playback(player, session, settings=PlaybackSettings(resolve_ahead=1, gapless=False))
        rec = Recorder(pb.bus)
        pb.attach()
        pb.add([demo.watch_url("t1"), demo.watch_url("t2")])
        pb.play(0)
        await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
        t2 = demo.watch_url("t2")
        await rec.wait_for(lambda: len([r for r in counting.resolved if r[0] == t2]) >= 2,
                           timeout=15)
        (_, _, first_expiry), (_, renewed_at, second_expiry) = \
            [r for r in counting.resolved if r[0] == t2][:2]
        assert first_expiry is not None and second_expiry is not None
        assert renewed_at < first_expiry           # renewed before the first URL expired
        assert second_expiry > first_expiry        # and the renewal lives longer
        pb.detach()
        await session.aclose()
