"""Key storms (issue 9) against real libmpv (ao=null), real yt-dlp and the real demo
service: quick `n`/`p`/play presses over a queue mixing the service's items and yt-dlp
pages, a track that ends while the next one is still being opened, stop and remove in the
middle of it all. The only sleeps are a person's typing gaps between key presses; every
outcome is awaited on the playback's events (docs/ARCHITECTURE.md, "Playback: one state
machine")."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from tests.helpers import Recorder
from tui.adapters.mpv_player import MpvPlayer
from tui.core.events import Level
from tui.core.models import ItemStatus
from tui.core.nowplaying import PlayState
from tui.core.player_events import Ended, EndReason, PlayerEvent
from tui.core.retry import RetryPolicy
from tui.demo.catalog import BY_ID
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import make_session
from tui.session.playback import Playback, PlaybackSettings
from tui.session.store import TokenStore
from tui.session.streams import SessionManager

USER = "demo"
GAPS = (0.05, 0.03, 0.08, 0.04, 0.1, 0.06)  # s between two key presses: a person typing


# --- the parts ---------------------------------------------------------------------------


class GatedResolver:
    """The real yt-dlp resolver, counting the calls that reach it; a ref with a gate waits
    there until the test opens it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.waiting: list[str] = []  # refs held at their gate right now

    def gate(self, ref: str) -> asyncio.Event:
        return self.gates.setdefault(ref, asyncio.Event())

    async def resolve(self, ref: str):
        self.calls.append(ref)
        gate = self.gates.get(ref)
        if gate is not None and not gate.is_set():
            self.waiting.append(ref)
            try:
                await gate.wait()
            finally:
                self.waiting.remove(ref)
        return await self.inner.resolve(ref)

    async def expand(self, ref: str):
        return await self.inner.expand(ref)


class TappedPlayer(MpvPlayer):
    """libmpv, with every event it reports also kept for the test, in order, once the
    playback has handled it (both are scheduled on the loop, the playback's first)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, **kw) -> None:
        self.loop = loop
        self.events: list[PlayerEvent] = []
        self._heard = asyncio.Event()
        super().__init__(**kw)

    def _emit(self, event: PlayerEvent) -> None:
        super()._emit(event)
        try:
            self.loop.call_soon_threadsafe(self._note, event)
        except RuntimeError:  # the test's loop is closed: nobody is listening any more
            pass

    def _note(self, event: PlayerEvent) -> None:
        self.events.append(event)
        self._heard.set()

    async def wait_event(self, cond: Callable[[PlayerEvent], bool], what: str,
                         timeout: float = 15.0) -> PlayerEvent:
        async def loop() -> PlayerEvent:
            while True:
                for ev in self.events:
                    if cond(ev):
                        return ev
                self._heard.clear()
                await self._heard.wait()
        try:
            return await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            pytest.fail(f"libmpv never reported {what}; heard {self.events[-10:]}")


@dataclass
class Rig:
    demo: DemoService
    session: SessionManager
    pb: Playback
    rec: Recorder
    player: TappedPlayer
    resolver: GatedResolver
    pages: dict[str, str] = field(default_factory=dict)  # "t4" -> the demo's watch URL


@asynccontextmanager
async def rig(options: DemoOptions, resolver, tmp_path: Path,
              settings: PlaybackSettings | None = None) -> AsyncIterator[Rig]:
    with DemoService(options) as demo:
        gated = GatedResolver(resolver)
        session = make_session(gated, token_store=TokenStore(tmp_path / "tokens.json"),
                               policy=RetryPolicy(base=0.05, cap=0.5))

        async def password() -> str:
            return "demo"
        session.add_service("demo", demo.base_url, client_id="ytplay", username=USER,
                            password=password)
        player = TappedPlayer(asyncio.get_running_loop(), ao="null")
        pb = Playback(player, session, settings=settings)
        rec = Recorder(pb.bus)
        pb.attach()
        try:
            yield Rig(demo, session, pb, rec, player, gated,
                      {t: demo.watch_url(t) for t in BY_ID})
        finally:
            await pb.aclose()
            player.close()


# --- looking at it -----------------------------------------------------------------------


def _picture(r: Rig) -> str:
    q = r.pb.queue
    items = ", ".join(f"{i}:{it.ref.rsplit('/', 1)[-1]}={it.status.value}"
                      + (f"({it.reason})" if it.reason else "") for i, it in enumerate(q))
    states = [(n.state.value, n.index) for n in r.rec.history]
    compact = [s for k, s in enumerate(states) if k == 0 or states[k - 1] != s]
    return (f"now={r.rec.now}\nqueue=[{items}] current={q.current_index}\n"
            f"states={compact[-25:]}\nlogs={[(e.level.value, e.text) for e in r.rec.logs][-15:]}\n"
            f"resolves={[c.rsplit('/', 1)[-1] for c in r.resolver.calls]}\n"
            f"demo counts={dict(r.demo.state.counts)}\nplayer events={r.player.events[-12:]}")


async def until(r: Rig, cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    try:
        await r.rec.wait_for(cond, timeout)
    except TimeoutError:
        pytest.fail(f"never {what}\n{_picture(r)}")


async def plays(r: Rig, index: int, title: str, *, at_most_from: float | None = None) -> None:
    """Item `index` plays: PLAYING, the right title, and the position moving on."""
    pb, rec = r.pb, r.rec
    await until(r, lambda: rec.now.state is PlayState.PLAYING and rec.now.index == index
                and rec.now.position is not None, f"PLAYING item {index} ({title})")
    assert pb.queue.current_index == index, _picture(r)
    assert rec.now.title == title, _picture(r)
    first = rec.now.position or 0.0
    if at_most_from is not None:
        assert first <= at_most_from, _picture(r)
    await until(r, lambda: (rec.now.position or 0) >= first + 0.6,
                f"the position moving on from {first:.1f} s on item {index}")
    assert rec.now.state is PlayState.PLAYING and rec.now.index == index, _picture(r)
    assert pb.queue[index].status is ItemStatus.PLAYING, _picture(r)
    assert r.player.position is not None and r.player.position >= first, _picture(r)


async def settled(session: SessionManager) -> None:
    """Until every stream ytplay let go of has been closed at its source."""
    async def wait() -> None:
        while session._closing:
            await session._settled()
    await asyncio.wait_for(wait(), 15)


def assert_only_current_open(r: Rig) -> None:
    """The session manager holds the stream of what plays, and at most the one opened
    ahead for the next item: nothing abandoned on the way."""
    allowed = {r.pb.target.key}
    if r.pb.ahead.prepared is not None:
        allowed.add(r.pb.ahead.prepared.opening.key)
    assert r.pb.target.key in r.session.leases.open, _picture(r)
    assert set(r.session.leases.open) <= allowed, f"open: {list(r.session.leases.open)}\n{_picture(r)}"


def service_sessions(demo: DemoService) -> list[str]:
    return [s.media_id for s in list(demo.state.sessions.values()) if s.user == USER]


def assert_clean(r: Rig, caplog: pytest.LogCaptureFixture) -> None:
    picture = _picture(r)
    failed = [(i, it.ref, it.reason) for i, it in enumerate(r.pb.queue)
              if it.status is ItemStatus.FAILED]
    assert not failed, picture
    errors = [e.text for e in r.rec.logs if e.level is Level.ERROR]
    assert not errors, picture
    assert not [e.text for e in r.rec.logs if "internal error" in e.text], picture
    assert not any("too many concurrent streams" in e.text for e in r.rec.logs), picture
    assert r.demo.state.counts["session:stream_limit"] == 0, picture
    assert PlayState.HOLDING not in {n.state for n in r.rec.history}, picture
    logged = [f"{rec.name}: {rec.getMessage()}" for rec in caplog.records
              if rec.levelno >= logging.ERROR]
    assert not logged, f"{logged}\n{picture}"


def model(start: int, keys: list, n_items: int) -> int:
    """Where the queue cursor ends after `keys` ("n", "p", or an index to play): every key
    counts, `n` on the last item and `p` on the first do nothing."""
    i = start
    for key in keys:
        if key == "n":
            i = min(i + 1, n_items - 1)
        elif key == "p":
            i = max(i - 1, 0)
        else:
            i = key
    return i


async def type_keys(pb: Playback, keys: list) -> None:
    for k, key in enumerate(keys):
        if k:
            await asyncio.sleep(GAPS[k % len(GAPS)])  # the typing gap: the scenario itself
        if key == "n":
            pb.next()
        elif key == "p":
            pb.previous()
        elif key == "stop":
            pb.stop()
        else:
            pb.play(key)


def title_of(ref: str) -> str:
    return BY_ID[ref.rsplit("/", 1)[-1].rsplit(":", 1)[-1]].title


async def handed_over(r: Rig) -> int:
    """Until the next item is opened and handed to libmpv; its playlist entry."""
    await until(r, lambda: r.pb.ahead.prepared is not None
                and r.pb.ahead.prepared.entry is not None, "the next item handed over")
    assert r.pb.ahead.prepared is not None and r.pb.ahead.prepared.entry is not None
    return r.pb.ahead.prepared.entry


# --- 1. storms over a queue of service items and yt-dlp pages ----------------------------


def _mixed(r: Rig) -> list[str]:
    p = r.pages
    return [p["t4"], "demo:t1", p["t5"], "demo:t2", p["t6"], "demo:t3"]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("keys", [
    pytest.param(["n"] * 5, id="n-x5"),
    pytest.param(["n", "n", "p", 4, "n", "p", "p", 1, "n", "n"], id="mixed-n-p-play"),
    pytest.param(["n", 3, "n", "p", "n", "n", "p", "p", "p"], id="mixed-ends-on-page"),
])
async def test_a_storm_of_keys_over_service_items_and_pages(
        keys: list, demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    assert demo_options.stream_limit == 2
    async with rig(demo_options, resolver, tmp_path) as r:
        refs = _mixed(r)
        r.pb.add(refs)
        r.pb.play(0)
        await plays(r, 0, title_of(refs[0]))

        await type_keys(r.pb, keys)
        target = model(0, keys, len(refs))
        assert r.pb.queue.current_index == target, _picture(r)  # every key counted at once
        await plays(r, target, title_of(refs[target]), at_most_from=2.0)

        await settled(r.session)
        assert_clean(r, caplog)
        wanted = [refs[target].split(":")[1]] if refs[target].startswith("demo:") else []
        assert service_sessions(r.demo) == wanted, _picture(r)  # the abandoned were closed
        assert_only_current_open(r)


# --- 2. a track ends while the next one is still being opened -----------------------------


@pytest.mark.timeout(90)
@pytest.mark.parametrize("current", ["page", "service"])
async def test_a_track_ends_while_the_next_page_is_still_resolving(
        current: str, demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    async with rig(demo_options, resolver, tmp_path) as r:
        first = r.pages["t4"] if current == "page" else "demo:t2"
        following = r.pages["t2"] if current == "page" else r.pages["t4"]
        gate = r.resolver.gate(following)
        r.pb.add([first, following])
        length = BY_ID["t4" if current == "page" else "t2"].seconds
        r.pb.play(0, start=length - 2.0)
        await plays(r, 0, title_of(first))
        await until(r, lambda: following in r.resolver.waiting, "the next item resolving")
        entry = r.pb.transport.current

        # The end comes while the next is held at the resolver: it waits for that open.
        await r.player.wait_event(lambda e: isinstance(e, Ended) and e.generation == entry
                                  and e.reason is EndReason.EOF, "the end of the first track")
        await until(r, lambda: r.rec.now.index == 1, "moving on to the next item")
        assert r.rec.now.state is PlayState.RESOLVING, _picture(r)
        assert r.pb.queue[0].status is ItemStatus.READY, _picture(r)
        gate.set()
        await plays(r, 1, title_of(following), at_most_from=2.0)
        assert r.resolver.calls.count(following) == 1, _picture(r)  # adopted, not repeated
        await settled(r.session)
        assert_clean(r, caplog)
        assert service_sessions(r.demo) == [], _picture(r)


@pytest.mark.timeout(90)
async def test_a_track_ends_while_the_next_service_item_opens(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    async with rig(demo_options, resolver, tmp_path) as r:
        r.pb.add([r.pages["t4"], "demo:t1"])
        r.pb.play(0, start=BY_ID["t4"].seconds - 2.0)
        await plays(r, 0, "Paper Kites")
        r.demo.options.latency = 0.7  # every answer of the service's API comes late now
        await until(r, lambda: r.rec.now.index == 1, "moving on to the next item")
        assert r.rec.now.state is PlayState.RESOLVING, _picture(r)
        await plays(r, 1, "Low Tide", at_most_from=2.0)
        r.demo.options.latency = 0.0
        assert r.demo.state.counts["session:start"] == 1, _picture(r)
        await settled(r.session)
        assert_clean(r, caplog)
        assert service_sessions(r.demo) == ["t1"], _picture(r)


@pytest.mark.timeout(90)
async def test_a_track_ends_into_the_item_handed_over(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    async with rig(demo_options, resolver, tmp_path) as r:
        t4, t2 = r.pages["t4"], r.pages["t2"]
        r.pb.add([t4, t2, "demo:t3"])
        r.pb.play(0, start=BY_ID["t4"].seconds - 3.0)
        await plays(r, 0, "Paper Kites")
        entry = await handed_over(r)
        await plays(r, 1, "Copper Lanterns", at_most_from=2.0)
        assert r.pb.transport.current == entry, _picture(r)  # libmpv moved on by itself
        assert r.resolver.calls.count(t2) == 1, _picture(r)
        assert r.pb.queue[0].status is ItemStatus.READY, _picture(r)
        assert_clean(r, caplog)


@pytest.mark.timeout(90)
async def test_n_right_at_the_end_with_the_next_handed_over(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    async with rig(demo_options, resolver, tmp_path) as r:
        refs = [r.pages["t4"], r.pages["t2"], r.pages["t6"]]
        r.pb.add(refs)
        length = BY_ID["t4"].seconds
        r.pb.play(0, start=length - 3.0)
        await plays(r, 0, "Paper Kites")
        await handed_over(r)
        await until(r, lambda: r.rec.now.index != 0 or (r.rec.now.position or 0) >= length - 0.5,
                    "the last half second of the track")
        at = r.pb.queue.current_index  # the end may have been handled just before the key
        assert at is not None
        r.pb.next()
        target = at + 1
        await plays(r, target, title_of(refs[target]), at_most_from=2.0)
        assert r.resolver.calls.count(refs[1]) == 1, _picture(r)
        await settled(r.session)
        assert_clean(r, caplog)
        assert_only_current_open(r)


@pytest.mark.timeout(90)
async def test_n_pressed_as_the_track_ends_while_its_target_still_resolves(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """`n` on the last second of a track: the next item is still at yt-dlp when the old
    track, still audible, reaches its end. That end is the old item's, not the new one's."""
    async with rig(demo_options, resolver, tmp_path) as r:
        refs = [r.pages["t4"], r.pages["t2"], r.pages["t6"]]
        gate = r.resolver.gate(refs[1])
        r.pb.add(refs)
        r.pb.play(0, start=BY_ID["t4"].seconds - 2.0)
        await plays(r, 0, "Paper Kites")
        await until(r, lambda: refs[1] in r.resolver.waiting, "the next item resolving")
        entry = r.pb.transport.current
        r.pb.next()
        assert r.pb.queue.current_index == 1 and r.rec.now.state is PlayState.RESOLVING
        await r.player.wait_event(lambda e: isinstance(e, Ended) and e.generation == entry,
                                  "the end of the old track")
        assert r.pb.queue.current_index == 1, _picture(r)
        assert r.rec.now.state is PlayState.RESOLVING, _picture(r)
        assert r.pb.queue[1].status is ItemStatus.RESOLVING, _picture(r)
        gate.set()
        await plays(r, 1, "Copper Lanterns", at_most_from=2.0)
        assert r.resolver.calls.count(refs[1]) == 1, _picture(r)
        await settled(r.session)
        assert_clean(r, caplog)


# --- 3. a storm through service items only, one stream allowed ----------------------------


@pytest.mark.timeout(90)
async def test_a_storm_through_service_items_with_a_stream_limit_of_one(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    demo_options.stream_limit = 1
    async with rig(demo_options, resolver, tmp_path) as r:
        refs = ["demo:t1", "demo:t2", "demo:t3"]
        r.pb.add(refs)
        r.pb.play(0)
        await plays(r, 0, "Low Tide")
        keys = ["n", "n", "n", "n", "p"]
        await type_keys(r.pb, keys)
        target = model(0, keys, len(refs))
        assert target == 1 and r.pb.queue.current_index == target, _picture(r)
        await plays(r, target, "Copper Lanterns", at_most_from=2.0)
        await settled(r.session)
        assert_clean(r, caplog)
        assert service_sessions(r.demo) == ["t2"], _picture(r)
        # And once more, from the item playing now, back and forth.
        keys = ["p", "n", "n", "p", "n"]
        await type_keys(r.pb, keys)
        target = model(1, keys, len(refs))
        await plays(r, target, title_of(refs[target]), at_most_from=2.0)
        await settled(r.session)
        assert_clean(r, caplog)
        assert service_sessions(r.demo) == [refs[target].split(":")[1]], _picture(r)


# --- 4. remove and stop in the middle of it -----------------------------------------------


@pytest.mark.timeout(90)
async def test_removing_the_playing_item_while_the_next_resolves(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    async with rig(demo_options, resolver, tmp_path) as r:
        t4, t2 = r.pages["t4"], r.pages["t2"]
        gate = r.resolver.gate(t2)
        r.pb.add([t4, t2, "demo:t1"])
        r.pb.play(0)
        await plays(r, 0, "Paper Kites")
        await until(r, lambda: t2 in r.resolver.waiting and r.pb.ahead.prepared is not None,
                    "the next item being opened ahead")
        opening = r.pb.ahead.prepared.opening

        r.pb.edits.remove(0)
        await until(r, lambda: r.rec.now.state is PlayState.IDLE, "stopping")
        assert r.rec.now.index is None and r.pb.queue.current_index is None, _picture(r)
        assert r.pb.transport.current is None, _picture(r)
        gate.set()  # what yt-dlp was doing for the next item finishes now
        await asyncio.wait([opening.task], timeout=15)
        await settled(r.session)
        # Let go of with the removal: nothing opened for it is kept.
        assert opening.task.cancelled(), (f"the abandoned look-ahead open went on and "
                                          f"opened {opening.task.result()!r}\n{_picture(r)}")
        assert r.session.leases.open == {}, _picture(r)
        assert r.rec.now.state is PlayState.IDLE, _picture(r)
        assert_clean(r, caplog)

        r.pb.toggle_pause()  # space: the queue's first item now
        await plays(r, 0, "Copper Lanterns", at_most_from=2.0)
        await settled(r.session)
        assert_only_current_open(r)
        assert_clean(r, caplog)


@pytest.mark.timeout(90)
async def test_stop_in_the_middle_of_a_storm_then_space_resumes_there(
        demo_options: DemoOptions, resolver, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    # Items over a minute keep their place, so `p` goes back to where one was left.
    async with rig(demo_options, resolver, tmp_path,
                   settings=PlaybackSettings(resume_threshold=60)) as r:
        refs = _mixed(r)
        r.pb.add(refs)
        r.pb.play(0)
        await plays(r, 0, "Paper Kites")

        # A: stopped before the storm's target opened: space plays it from its start.
        await type_keys(r.pb, ["n", "n", "stop"])
        assert r.pb.queue.current_index == 2, _picture(r)
        await until(r, lambda: r.rec.now.state is PlayState.IDLE, "stopping")
        assert r.rec.now.index == 2 and (r.rec.now.position or 0) < 1, _picture(r)
        await settled(r.session)
        assert service_sessions(r.demo) == [] and r.session.leases.open == {}, _picture(r)
        r.pb.toggle_pause()
        await plays(r, 2, "Glass Orchard", at_most_from=2.0)

        # B: item 2 played on to 40 s; n moves away, p comes back to 40 s, stop before it
        # opened again; space resumes it there.
        r.pb.seek_to(40.0)
        await until(r, lambda: (r.rec.now.position or 0) >= 40.5, "playing past 40 s")
        await type_keys(r.pb, ["n", "p", "stop"])
        assert r.pb.queue.current_index == 2, _picture(r)
        await until(r, lambda: r.rec.now.state is PlayState.IDLE, "stopping")
        kept = r.rec.now.position
        assert kept is not None and 40 <= kept < 43, _picture(r)
        await settled(r.session)
        assert service_sessions(r.demo) == [] and r.session.leases.open == {}, _picture(r)
        r.pb.toggle_pause()
        await until(r, lambda: r.rec.now.state is PlayState.PLAYING and r.rec.now.index == 2,
                    "playing item 2 again")
        await until(r, lambda: (r.rec.now.position or 0) >= kept + 0.5, "moving on from there")
        assert abs((r.rec.now.position or 0) - kept) < 2.5, _picture(r)
        assert r.rec.now.title == "Glass Orchard"

        # C: stopped while playing a service item: space resumes it at the position.
        r.pb.play(3)
        await plays(r, 3, "Copper Lanterns")
        await type_keys(r.pb, ["n", "p"])
        await plays(r, 3, "Copper Lanterns")
        r.pb.stop()
        assert r.rec.now.state is PlayState.IDLE, _picture(r)
        kept = r.rec.now.position or 0.0
        await settled(r.session)
        assert service_sessions(r.demo) == [], _picture(r)
        r.pb.toggle_pause()
        await until(r, lambda: r.rec.now.state is PlayState.PLAYING and r.rec.now.index == 3,
                    "playing item 3 again")
        await until(r, lambda: (r.rec.now.position or 0) >= kept + 0.5, "moving on from there")
        assert abs((r.rec.now.position or 0) - kept) < 2.0, _picture(r)
        await settled(r.session)
        assert service_sessions(r.demo) == ["t2"], _picture(r)
        assert_clean(r, caplog)
