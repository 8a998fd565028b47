"""The playback state machine (docs/ARCHITECTURE.md, "Playback: one state machine") driven
through fakes at its ports (playback_fakes.py, beside it): keys, opens that finish or fail
when the test says so, and libmpv's events released one at a time, in any interleaving.

A model follows what each key asks for and what each failure is, and the invariants hold
it against the machine after every step, once the loop's callbacks have run."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.session.playback.playback_fakes import DURATION, PendingOpen, Rig, Success
from tui.core.errors import GaveUp, ResolveError, ServiceError
from tui.core.failures import Failure
from tui.core.models import ItemStatus, QueueItem
from tui.core.nowplaying import PlayState
from tui.core.player_events import Ended, PlayerEvent, Restarted, Started
from tui.core.verdicts import Act, after_end
from tui.session.playback import PlaybackSettings
from tui.session.playback._playback import RESTART_AFTER
from tui.session.playback._transport import Whose


def stream_limit() -> ServiceError:
    return ServiceError("too many streams", Failure(status=403, code="stream_limit"))


OUTCOMES: dict[str, Any] = {
    "ok": lambda: Success(proxied=True),
    "ok-direct": lambda: Success(proxied=False),   # a manifest: played directly, reloadable
    "resolve-error": lambda: ResolveError("no such video"),
    "stream-limit": stream_limit,
    "gave-up": lambda: GaveUp("the service did not answer"),
}
outcomes = st.sampled_from(["ok", "ok", "ok", "ok-direct", "resolve-error", "stream-limit",
                            "gave-up"])

# One action each; a burst applies several in one turn of the loop.
actions = st.one_of(
    st.tuples(st.just("next")),
    st.tuples(st.just("previous")),
    st.tuples(st.just("play"), st.integers(0, 7), st.none() | st.sampled_from([0.0, 30.0, 170.0])),
    st.tuples(st.just("toggle")),
    st.tuples(st.just("stop")),
    st.tuples(st.just("seek"), st.sampled_from([-30.0, -5.0, 5.0, 30.0])),
    st.tuples(st.just("seek_to"), st.sampled_from([0.0, 10.0, 100.0, 500.0])),
    st.tuples(st.just("remove"), st.integers(0, 7)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("move"), st.integers(0, 7), st.sampled_from([-2, -1, 1, 3])),
    st.tuples(st.just("repeat")),
    st.tuples(st.just("release"), st.sampled_from(["oldest", "newest", "live"]), outcomes),
    st.tuples(st.just("deliver"), st.integers(1, 3)),
    st.tuples(st.just("advance"), st.sampled_from([1.0, 5.0, 60.0])),
    st.tuples(st.just("end"), st.sampled_from(["eof", "eof", "cut", "error"])),
    st.tuples(st.just("spin")),
)


class PlaybackMachine(RuleBasedStateMachine):
    rig: Rig | None = None

    @initialize(kinds=st.lists(st.booleans(), min_size=4, max_size=8), gapless=st.booleans())
    def start(self, kinds: list[bool], gapless: bool) -> None:
        refs = [f"svc:{n}" if service else f"https://x/{n}" for n, service in enumerate(kinds)]
        self.rig = Rig(refs, PlaybackSettings(gapless=gapless))
        self.rig.session.on_outcome = self._before_outcome
        self.rig.interpose(before=self._before_event)
        self.expected: QueueItem | None = None   # the item the keys (and failures) point at
        self.may_fail: set[int] = set()          # uids whose own open or playback failed
        self.failures = 0                        # own failures in a row, as the machine counts
        self.want_paused: bool | None = False    # None: nothing to say (after a reload)
        # Where audio is once it flows, and where space resumes when stopped or holding;
        # None: nothing to say (time passed, a reload).
        self.want_position: float | None = None
        self.resume: float | None = 0.0
        # Each removal not undone yet, the last one last: the item, whether it was the current
        # one, whether it played (None: the model cannot say), and where it was.
        self.removals: list[tuple[QueueItem, bool, bool | None, float]] = []

    def teardown(self) -> None:
        if self.rig is not None:
            self.rig.close()

    # --- the model ---------------------------------------------------------------------------

    @property
    def pb(self):  # type: ignore[no-untyped-def]
        assert self.rig is not None
        return self.rig.pb

    def _went(self, item: QueueItem, start: float | None = 0.0) -> None:
        """The machine goes to `item`: it starts playing (not paused) at `start`. (Items
        here are short, so "where it was left" is 0 too.)"""
        self.expected = item
        self.want_paused = False
        self.want_position = None if self._moved_on_to(item) else start

    def _moved_on_to(self, item: QueueItem) -> bool:
        """libmpv has moved on by itself to the entry handed over for `item`, and the
        machine has not heard yet: the switch keeps where libmpv is in it (by design)."""
        rig, handed = self.rig, self.pb.transport.handed
        if handed is None or rig.player.playing != handed:
            return False
        info = rig.session.urls.get(rig.player.urls[handed])
        return info is not None and info.uid == item.uid

    def _plays(self, state: PlayState) -> bool | None:
        """Whether the current item plays, or is on its way to and not to start paused;
        None when the model cannot say (after a reload)."""
        if state in (PlayState.LOADING, PlayState.RESOLVING):
            return None if self.want_paused is None else not self.want_paused
        return state is PlayState.PLAYING

    def _undone(self, item: QueueItem, was_current: bool, played: bool | None,
                position: float) -> None:
        """An undo puts `item` back: current again if it was and none is now, playing on
        where it was if it played, else stopped there."""
        if not was_current or self.pb.queue.current is not None:
            return
        if played:
            self._went(item, position)
            return
        self.expected = item
        if played is None:
            self.want_paused = self.want_position = self.resume = None
        else:
            self.resume = position

    def _clamped(self, position: float) -> float:
        duration = self.pb.now.duration
        position = max(0.0, position)
        return min(position, max(0.0, duration - 1)) if duration is not None else position

    def _skipped(self, item: QueueItem) -> None:
        """`item` failed by its own fault: marked failed, the next one plays (unless the
        queue ran out, or everything failed in a row)."""
        self.may_fail.add(item.uid)
        self.failures += 1
        q = self.pb.queue
        following = q.next_index()
        if following is not None and self.failures < len(q):
            self._went(q[following])
        else:
            self.resume = self.pb.now.position or 0.0

    def _ended_normally(self) -> None:
        q = self.pb.queue
        following = q.after_end_index()
        if following is not None:
            self._went(q[following])

    def _before_outcome(self, p: PendingOpen, outcome: object) -> None:
        """An open is about to answer its caller (right before the machine hears of it)."""
        pb = self.pb
        current = pb.queue.current
        if pb.now.state is not PlayState.RESOLVING or current is None or current.uid != p.uid:
            return  # not what the machine waits for: it must not move anything
        if isinstance(outcome, ResolveError):
            self._skipped(current)
        elif isinstance(outcome, Exception):  # not the item's fault: hold where it starts
            self.resume = self.want_position

    def _before_event(self, event: PlayerEvent) -> None:
        """A player event is about to reach the machine."""
        pb = self.pb
        whose = pb.transport.whose(event)
        if whose is Whose.HANDED:
            if isinstance(event, Started):   # libmpv moved on by itself at an end
                self._ended_normally()
            return
        if whose is Whose.STALE:
            return
        if isinstance(event, Restarted):
            self.failures = 0
        elif isinstance(event, Ended):
            current = pb.queue.current
            if current is None or not pb.now.state.active:
                # RESOLVING: the item the user left still plays until the new one loads;
                # its end says nothing about the item being opened.
                return
            url = self.rig.player.urls[event.generation]
            info = self.rig.session.urls.get(url)
            proxied = True if info is None else info.proxied
            reloaded = info is not None and info.fresh
            verdict = after_end(event.reason, event.error, position=pb.now.position or 0.0,
                                duration=pb.now.duration, degraded=None, proxied=proxied,
                                reloaded=reloaded)
            if verdict.act is Act.NEXT:
                self._ended_normally()
            elif verdict.act is Act.SKIP:
                self._skipped(current)
            elif verdict.act is Act.RELOAD:
                self.want_paused = self.want_position = None

    # --- actions -------------------------------------------------------------------------------

    def _run(self, *actions: tuple[Any, ...]) -> None:
        """Apply `actions` on the loop in one go, as key handlers run: nothing else runs in
        between, but for a turn of the loop where an action says "spin"."""
        async def run() -> None:
            for action in actions:
                if action == ("spin",):
                    await asyncio.sleep(0)
                else:
                    self._do(action)
        assert self.rig is not None
        self.rig.loop.run_until_complete(run())

    def _do(self, action: tuple[Any, ...]) -> None:
        """One action; the model reads the machine right before it, in the same turn."""
        rig, pb = self.rig, self.pb
        assert rig is not None
        q, state = pb.queue, pb.now.state
        match action:
            case ("next",):
                if (i := q.next_index()) is not None:
                    self._went(q[i])
                pb.next()
            case ("previous",):
                if (pb.now.position or 0) > RESTART_AFTER and state.active:
                    self.want_position = 0.0  # restarts the track
                elif (i := q.previous_index()) is not None:
                    self._went(q[i])
                pb.previous()
            case ("play", i, start):
                if len(q):
                    i %= len(q)
                    self._went(q[i], start or 0.0)
                    pb.play(i, start=start)
            case ("toggle",):
                if state in (PlayState.PLAYING, PlayState.PAUSED):
                    self.want_paused = state is PlayState.PLAYING
                elif state in (PlayState.LOADING, PlayState.RESOLVING):
                    if self.want_paused is not None:
                        self.want_paused = not self.want_paused
                elif state is PlayState.ENDED and len(q):
                    self._went(q[0])
                elif q.current is not None:
                    self._went(q.current, self.resume)
                elif len(q):
                    self._went(q[0])
                pb.toggle_pause()
            case ("stop",):
                if q.current is not None and (state.active or state is PlayState.RESOLVING):
                    self.resume = pb.now.position or 0.0  # where it showed it was
                pb.stop()
            case ("seek", _) | ("seek_to", _):
                kind, value = action
                target = self._clamped((pb.now.position or 0.0) + value if kind == "seek"
                                       else value)
                if state.active or state is PlayState.RESOLVING:
                    self.want_position = target
                elif state in (PlayState.IDLE, PlayState.HOLDING) and q.current is not None:
                    self.resume = target
                (pb.seek if kind == "seek" else pb.seek_to)(value)
            case ("remove", i):
                if len(q):
                    i %= len(q)
                    item = q[i]
                    current = item is q.current
                    self.removals.append((item, current, current and self._plays(state),
                                          pb.now.position or 0.0))
                    if item is self.expected:
                        self.expected = None
                        self.resume = 0.0
                    pb.edits.remove(i)
            case ("undo",):
                if self.removals:
                    self._undone(*self.removals.pop())
                pb.edits.undo_remove()
            case ("move", i, delta):
                if len(q):
                    pb.edits.move_to(i % len(q), i % len(q) + delta)
            case ("repeat",):
                pb.edits.cycle_repeat()
            case ("release", which, outcome):
                rig.release(OUTCOMES[outcome](), which)
            case ("deliver", n):
                rig.deliver(n)
            case ("advance", seconds):
                self.want_position = None
                rig.player.advance(seconds)
            case ("end", how):
                if how == "eof" and rig.player.paused:
                    return  # a paused file does not play to its end
                self.want_position = None
                {"eof": rig.player.end_of_file, "cut": rig.player.cut_short,
                 "error": rig.player.fail}[how]()

    # --- rules -------------------------------------------------------------------------------

    # A key, and `then` what a person would wait for: nothing ("") or a quiet moment in
    # which the target opens and plays (with a stream the proxy cannot carry: "direct").
    then = st.sampled_from(["", "", "quiet", "direct"])

    def _key(self, action: tuple[Any, ...], then: str) -> None:
        self._run(action)
        if then:
            self.quiet_moment(direct=then == "direct")

    @rule(then=then)
    def next(self, then: str) -> None:
        self._key(("next",), then)

    @rule(then=then)
    def previous(self, then: str) -> None:
        self._key(("previous",), then)

    @rule(i=st.integers(0, 7), start=st.none() | st.sampled_from([0.0, 30.0, 170.0]), then=then)
    def play(self, i: int, start: float | None, then: str) -> None:
        self._key(("play", i, start), then)

    @rule(then=then)
    def toggle_pause(self, then: str) -> None:
        self._key(("toggle",), then)

    @precondition(lambda self: self.pb.now.state.active
                  or self.pb.now.state is PlayState.RESOLVING)
    @rule()
    def stop(self) -> None:
        self._run(("stop",))

    @precondition(lambda self: self.pb.queue.current is not None)
    @rule(how=st.tuples(st.just("seek"), st.sampled_from([-30.0, -5.0, 5.0, 30.0]))
          | st.tuples(st.just("seek_to"), st.sampled_from([0.0, 10.0, 100.0, 500.0])))
    def seek(self, how: tuple[str, float]) -> None:
        """`seek` by a delta or `seek_to` a position."""
        self._run(how)

    @precondition(lambda self: len(self.pb.queue) > 0)
    @rule(i=st.integers(0, 7))
    def remove(self, i: int) -> None:
        self._run(("remove", i))

    @precondition(lambda self: bool(self.removals))
    @rule()
    def undo_remove(self) -> None:
        self._run(("undo",))

    @precondition(lambda self: len(self.pb.queue) > 1)
    @rule(i=st.integers(0, 7), delta=st.sampled_from([-2, -1, 1, 3]))
    def move(self, i: int, delta: int) -> None:
        self._run(("move", i, delta))

    @rule()
    def cycle_repeat(self) -> None:
        """off → one → all → off."""
        self._run(("repeat",))

    @precondition(lambda self: bool(self.rig.session.pending))
    @rule(which=st.sampled_from(["oldest", "newest", "live", "live"]), outcome=outcomes)
    def release_open(self, which: str, outcome: str) -> None:
        self._run(("release", which, outcome))

    @rule(direct=st.booleans())
    def quiet_moment(self, direct: bool = False) -> None:
        """Nothing else happens for a while: every open succeeds (the one the machine waits
        for with a stream the proxy cannot carry, if `direct`) and libmpv says all it has
        to say."""
        rig = self.rig
        for _ in range(4):
            rig.flush()
            for p in list(rig.session.pending):
                waited_for = rig.pb.queue.current is not None and p.uid == rig.pb.queue.current.uid
                rig.session.release(p, Success(proxied=not (direct and waited_for)))
                rig.flush()
            rig.deliver_all()

    @rule(direct=st.booleans(), how=st.sampled_from(["eof", "eof", "cut", "error"]))
    def play_to_the_end(self, direct: bool, how: str) -> None:
        """A quiet moment, then the file ends (`how`: played to its end, cut short, failed;
        libmpv moves on by itself to what was handed over), and libmpv says so."""
        self.quiet_moment(direct)
        self._run(("end", how))
        self.rig.deliver_all()

    @precondition(lambda self: self.rig.player.pending > 0)
    @rule(n=st.sampled_from([1, 2, 3, "all"]))
    def deliver_events(self, n: int | str) -> None:
        """libmpv's next events reach the machine (all of them, the loop run after each)."""
        if n == "all":
            self.rig.deliver_all()
        else:
            self._run(("deliver", n))

    @precondition(lambda self: self.rig.player.playing is not None and not self.rig.player.paused)
    @rule(seconds=st.sampled_from([1.0, 5.0, 60.0]))
    def time_passes(self, seconds: float) -> None:
        self._run(("advance", seconds))

    @precondition(lambda self: self.rig.player.playing is not None)
    @rule(how=st.sampled_from(["eof", "eof", "cut", "error"]))
    def end_current_file(self, how: str) -> None:
        self._run(("end", how))

    @rule(burst=st.lists(actions, min_size=2, max_size=6))
    def burst(self, burst: list[tuple[Any, ...]]) -> None:
        """Several things in one turn of the loop (or a few, with "spin")."""
        self._run(*burst)

    # --- invariants (after the loop has run what it can) ---------------------------------------

    @invariant()
    def holds(self) -> None:
        rig = self.rig
        if rig is None:
            return
        rig.flush()
        pb, q, session, player = rig.pb, rig.pb.queue, rig.session, rig.player
        now, state = pb.now, pb.now.state

        assert not rig.loop_errors, rig.loop_errors[0].get("message")
        assert not rig.internal_errors(), rig.internal_errors()
        assert rig.shown in (None, now), "the UI was not told"

        # The queue is where the keys and the items' own failures put it.
        assert q.current is self.expected, (
            f"current {q.current_index} ({q.current and q.current.ref}), expected "
            f"{self.expected and q.items.index(self.expected) if self.expected in q.items else None}"
            f" ({self.expected and self.expected.ref})")
        if q.current is not None:
            assert 0 <= q.current_index < len(q)  # type: ignore[operator]
        assert now.index == q.current_index
        busy = [it for it in q if it.status in (ItemStatus.PLAYING, ItemStatus.RESOLVING)]
        assert len(busy) <= 1 and all(it is q.current for it in busy), \
            [(it.ref, it.status) for it in busy]
        if state is PlayState.RESOLVING:
            assert q.current is not None and q.current.status is ItemStatus.RESOLVING
        if state.active:
            assert q.current is not None and q.current.status is ItemStatus.PLAYING
        if q.current is not None and q.current.status is ItemStatus.PLAYING:
            assert state.active, state
        if q.current is not None and q.current.status is ItemStatus.RESOLVING:
            assert state is PlayState.RESOLVING, state

        # Only an item's own failure marks it failed.
        failed = [it.ref for it in q if it.status is ItemStatus.FAILED and it.uid not in self.may_fail]
        assert not failed, failed

        # Streams: the current one and the one prepared ahead, nothing superseded; one
        # service playback session at most, ever.
        assert session.max_sessions <= 1
        assert session.max_streams <= 2
        allowed: set[int] = set()
        if state.active and q.current is not None:
            allowed.add(q.current.uid)
            if (i := q.next_index()) is not None and session.kind(q[i].ref).value == "url":
                allowed.add(q[i].uid)
        uids = [p.uid for p in session.streams.values()]
        assert len(uids) == len(set(uids)), uids
        stray = [(p.key, p.ref) for p in session.streams.values() if p.uid not in allowed]
        assert not stray, (state, stray)

        # The state says what the transport and the player do.
        assert isinstance(state, PlayState)
        if state.active:
            assert pb.transport.current is not None
        if state is PlayState.RESOLVING:
            assert q.current is not None and session.in_flight(q.current.uid), \
                "RESOLVING with no open under way"
        if player.pending == 0:
            if state.active:
                assert player.playing == pb.transport.current, \
                    (player.playing, pb.transport.current)
            if pb.transport.handed is not None:
                assert pb.transport.handed in player.playlist
            if state in (PlayState.PLAYING, PlayState.PAUSED):
                assert (state is PlayState.PAUSED) == player.paused, (state, player.paused)
                if self.want_paused is not None:
                    assert (state is PlayState.PAUSED) == self.want_paused, \
                        (state, "asked for", "paused" if self.want_paused else "playing")
                if self.want_position is not None:
                    assert player.position == pytest.approx(self.want_position), \
                        ("libmpv at", player.position, "asked for", self.want_position)
                    assert now.position == pytest.approx(self.want_position), \
                        ("shown at", now.position, "asked for", self.want_position)


# 150 examples take a few seconds and find a given shallow bug in a run or two; for a deep
# search (the bugs below took up to ~1500): PLAYBACK_MACHINE_EXAMPLES=2000 (about 40 s).
PlaybackMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("PLAYBACK_MACHINE_EXAMPLES", "150")),
    stateful_step_count=40, deadline=None)
TestPlaybackMachine = PlaybackMachine.TestCase


# --- the headline cases, as examples ----------------------------------------------------------


@pytest.fixture
def rig_factory():
    rigs: list[Rig] = []

    def make(refs: list[str], **settings: Any) -> Rig:
        rig = Rig(refs, PlaybackSettings(**settings))
        rigs.append(rig)
        return rig
    yield make
    for rig in rigs:
        rig.close()


def play_through(rig: Rig) -> None:
    """Deliver whatever libmpv has to say, with the loop run after each event."""
    rig.deliver_all()
    rig.flush()


def test_five_quick_next_presses_move_five_items_and_open_only_the_last(rig_factory) -> None:
    rig = rig_factory([f"https://x/{n}" for n in range(8)])
    pb, session = rig.pb, rig.session
    rig.call(pb.play, 0)
    rig.flush()
    for _ in range(5):  # nothing resolves meanwhile
        rig.call(pb.next)
        rig.flush()
    assert pb.queue.current_index == 5 and pb.now.index == 5
    assert pb.now.state is PlayState.RESOLVING
    live = [p for p in session.pending if not p.abandoned]
    assert [p.ref for p in live] == ["https://x/5"]
    superseded = [c.key for c in session.open_calls if c.ref != "https://x/5"]
    assert len(superseded) == 5  # item 0 and the four passed over
    assert set(superseded) <= set(session.close_calls)
    assert all(p.abandoned for p in session.pending if p.ref != "https://x/5")
    # Their sources finish opening late: each is closed at once.
    while session.pending[0].abandoned:
        rig.release(Success())
        rig.flush()
    assert session.streams == {} and session.sources == set()
    rig.release(Success())   # only the last one plays
    rig.flush()
    assert [p.ref for p in session.streams.values()] == ["https://x/5"]
    play_through(rig)
    assert pb.now.state is PlayState.PLAYING and pb.queue.current_index == 5
    assert not [it for it in pb.queue if it.status is ItemStatus.FAILED]
    assert not rig.loop_errors and not rig.internal_errors()


def test_a_track_that_ends_while_the_next_is_opened_waits_for_that_open(rig_factory) -> None:
    rig = rig_factory(["https://x/0", "https://x/1", "https://x/2"])
    pb, session, player = rig.pb, rig.session, rig.player
    rig.call(pb.play, 0)
    rig.flush()
    rig.release(Success())
    rig.flush()
    play_through(rig)
    assert pb.now.state is PlayState.PLAYING
    (ahead,) = session.pending                   # item 1 is being opened ahead
    assert ahead.ref == "https://x/1"
    player.end_of_file()
    play_through(rig)
    assert pb.queue.current_index == 1 and pb.now.state is PlayState.RESOLVING
    assert [c.ref for c in session.open_calls].count("https://x/1") == 1
    assert session.pending == [ahead] and not ahead.abandoned  # the same open, adopted
    rig.release(Success())
    rig.flush()
    play_through(rig)
    assert pb.now.state is PlayState.PLAYING and pb.queue.current_index == 1
    assert player.urls[player.playing] == ahead.url
    assert [c.ref for c in session.open_calls].count("https://x/1") == 1
    assert pb.queue[0].status is ItemStatus.READY
    assert not [e for e in rig.logs if e.level.value == "error"]
    assert not rig.loop_errors


def test_a_superseded_service_open_that_completes_late_leaves_no_session(rig_factory) -> None:
    rig = rig_factory(["svc:0", "svc:1", "svc:2"])
    pb, session = rig.pb, rig.session
    rig.call(pb.play, 0)
    rig.flush()
    (first,) = session.pending
    rig.call(pb.next)
    rig.flush()
    assert first.abandoned and pb.queue.current_index == 1
    # The next service open waits until the abandoned one has settled.
    assert session.pending == [first] and list(session.waiting.values()) == [pb.queue[1].uid]
    rig.release(Success())   # svc:0's session opens after all: closed at once
    rig.flush()
    assert session.open_sessions() == []
    (second,) = session.pending
    assert second.ref == "svc:1"
    rig.release(Success())
    rig.flush()
    play_through(rig)
    assert pb.now.state is PlayState.PLAYING and pb.queue.current_index == 1
    assert [p.ref for p in session.open_sessions()] == ["svc:1"]
    assert session.max_sessions == 1
    assert not rig.loop_errors and not rig.internal_errors()


def test_a_stream_limit_holds_without_failing_the_item(rig_factory) -> None:
    rig = rig_factory(["svc:0", "svc:1"])
    pb, session = rig.pb, rig.session
    rig.call(pb.play, 0)
    rig.flush()
    rig.release(stream_limit())
    rig.flush()
    assert pb.now.state is PlayState.HOLDING and pb.queue.current_index == 0
    assert pb.queue[0].status is not ItemStatus.FAILED
    assert "stream" in pb.now.status
    assert session.streams == {} and session.open_sessions() == []
    # Space tries again, from the same item.
    rig.call(pb.toggle_pause)
    rig.flush()
    assert pb.now.state is PlayState.RESOLVING and pb.queue.current_index == 0
    assert not rig.loop_errors and not rig.internal_errors()


def test_fakes_end_of_file_with_an_appended_entry_moves_on() -> None:
    """The fake player itself: libmpv's playlist as the adapter drives it."""
    from tests.session.playback.playback_fakes import ScriptedPlayer
    p = ScriptedPlayer()
    seen: list[PlayerEvent] = []
    p.set_listener(seen.append)
    a = p.load("u1", start=0.0)
    b = p.append_next("u2")
    assert (a, b) == (1, 2) and p.playlist == [1, 2]
    p.end_of_file()
    while p.events:
        p.deliver_next()
    assert [type(e).__name__ for e in seen] == ["Started", "Progress", "Restarted", "Progress",
                                                "Ended", "Started", "Progress", "Restarted"]
    assert p.playing == 2 and seen[-1].generation == 2 and seen[4].generation == 1
    p.play_next()                # already on it: a no-op
    assert not p.events and p.playing == 2
    assert p.position == 0.0 and DURATION == 180.0


def playing(rig: Rig, index: int, outcome: Success | None = None) -> None:
    """Play item `index` until audio flows."""
    rig.call(rig.pb.play, index)
    rig.flush()
    live = [p for p in rig.session.pending if not p.abandoned]
    rig.session.release(live[-1], outcome or Success())
    rig.flush()
    play_through(rig)
    assert rig.pb.now.state is PlayState.PLAYING and rig.pb.queue.current_index == index


# --- what the machine found: fixed (22197fb, 1ecbb9c) and kept as examples -----------------


def test_the_old_file_ending_while_the_next_opens_does_not_skip_it(rig_factory) -> None:
    """libmpv played on the item the user left while the next one opened, and its end was
    taken for the new one's (fixed in 22197fb: a new target stops libmpv first)."""
    rig = rig_factory([f"https://x/{n}" for n in range(4)])
    playing(rig, 0)
    rig.call(rig.pb.next)           # item 1 opens; libmpv still plays item 0 meanwhile
    rig.flush()
    rig.player.end_of_file()        # ... until it ends
    play_through(rig)
    assert rig.pb.queue.current_index == 1 and rig.pb.now.state is PlayState.RESOLVING


def test_the_old_file_failing_while_the_next_opens_does_not_fail_it(rig_factory) -> None:
    rig = rig_factory([f"https://x/{n}" for n in range(4)])
    playing(rig, 0)
    rig.call(rig.pb.next)
    rig.flush()
    rig.player.fail()               # e.g. the proxy stopped serving item 0: it was closed
    play_through(rig)
    assert rig.pb.queue[1].status is not ItemStatus.FAILED
    assert rig.pb.queue.current_index == 1 and rig.pb.now.state is PlayState.RESOLVING


def test_the_old_direct_file_failing_while_the_next_opens_does_not_crash(rig_factory) -> None:
    rig = rig_factory([f"https://x/{n}" for n in range(4)])
    playing(rig, 0, Success(proxied=False))
    rig.call(rig.pb.next)
    rig.flush()
    rig.player.fail()
    play_through(rig)
    assert not rig.loop_errors, rig.loop_errors[0]["exception"]
    assert rig.pb.queue.current_index == 1 and rig.pb.now.state is PlayState.RESOLVING


def test_space_twice_while_loading_plays(rig_factory) -> None:
    """Space while LOADING always paused, never resumed (fixed in 1ecbb9c)."""
    rig = rig_factory(["https://x/0", "https://x/1"])
    rig.call(rig.pb.play, 0)
    rig.flush()
    rig.release(Success())
    rig.flush()
    assert rig.pb.now.state is PlayState.LOADING
    rig.call(rig.pb.toggle_pause)   # pause ...
    rig.call(rig.pb.toggle_pause)   # ... and play again, before audio starts
    play_through(rig)
    assert rig.pb.now.state is PlayState.PLAYING and not rig.player.paused


def test_undoing_the_removal_of_the_item_playing_restores_it_idle(rig_factory) -> None:
    """The removed item kept PLAYING and came back with it beside the new current one
    (fixed in 1ecbb9c)."""
    rig = rig_factory([f"https://x/{n}" for n in range(4)])
    playing(rig, 0)
    rig.call(rig.pb.edits.remove, 0)
    rig.flush()
    rig.call(rig.pb.play, 0)          # what was item 1
    rig.flush()
    rig.call(rig.pb.edits.undo_remove)
    rig.flush()
    busy = [it.ref for it in rig.pb.queue
            if it.status in (ItemStatus.PLAYING, ItemStatus.RESOLVING)]
    assert busy == ["https://x/1"]


def test_next_plays_even_when_the_previous_load_reports_its_pause_late(rig_factory) -> None:
    """The pause state of the load before, heard while RESOLVING, made the new target start
    paused (fixed in 1ecbb9c)."""
    rig = rig_factory([f"https://x/{n}" for n in range(4)])
    rig.call(rig.pb.play, 0)
    rig.flush()
    rig.call(rig.pb.toggle_pause)   # item 0 is to start paused
    rig.release(Success())
    rig.flush()                     # loaded paused; libmpv's PauseChanged not heard yet
    rig.call(rig.pb.next)           # "play the next one"
    rig.flush()
    play_through(rig)               # the PauseChanged arrives while item 1 opens
    live = [p for p in rig.session.pending if not p.abandoned]
    rig.session.release(live[-1], Success())
    rig.flush()
    play_through(rig)
    assert rig.pb.queue.current_index == 1
    assert rig.pb.now.state is PlayState.PLAYING and not rig.player.paused


def test_next_while_paused_onto_the_handed_over_entry_really_plays(rig_factory) -> None:
    """Switching to the entry handed over said PLAYING while libmpv stayed paused (fixed in
    1ecbb9c)."""
    rig = rig_factory([f"https://x/{n}" for n in range(3)])
    playing(rig, 0)
    rig.release(Success())          # item 1, opened ahead, handed to libmpv
    rig.flush()
    assert rig.pb.transport.handed is not None
    rig.call(rig.pb.toggle_pause)
    play_through(rig)
    assert rig.pb.now.state is PlayState.PAUSED
    rig.call(rig.pb.next)
    play_through(rig)
    assert rig.pb.queue.current_index == 1
    assert (rig.pb.now.state is PlayState.PAUSED) == rig.player.paused
    assert rig.pb.now.state is PlayState.PLAYING


def test_next_after_a_reload_at_the_position(rig_factory) -> None:
    """A reload at the position replaced libmpv's playlist, but what was handed over stayed
    prepared: the next switch failed Transport.switch's assertion (fixed in 1ecbb9c)."""
    rig = rig_factory([f"https://x/{n}" for n in range(3)])
    playing(rig, 0, Success(proxied=False))   # a manifest: played directly
    rig.release(Success())                    # item 1 handed over ahead
    rig.flush()
    assert rig.pb.transport.handed is not None
    rig.player.fail()                         # the direct stream dies: reload at the position
    play_through(rig)
    assert rig.session.refreshes and rig.pb.now.state is PlayState.PLAYING
    rig.call(rig.pb.next)                     # was: AssertionError in Transport.switch
    play_through(rig)
    assert rig.pb.queue.current_index == 1 and not rig.loop_errors


# --- what the machine found: a seek sent as libmpv moves on by itself (seeks name their entry)


def test_a_seek_at_the_very_end_of_a_track_does_not_move_the_next_one(rig_factory) -> None:
    rig = rig_factory([f"https://x/{n}" for n in range(3)])
    playing(rig, 0)
    rig.release(Success())          # item 1 handed over ahead
    rig.flush()
    rig.player.end_of_file()        # libmpv moves on to item 1 by itself ...
    rig.call(rig.pb.seek, 30.0)     # ... as a seek for item 0 is sent
    play_through(rig)
    assert rig.pb.queue.current_index == 1 and rig.pb.now.state is PlayState.PLAYING
    assert rig.player.position == 0.0 and rig.pb.now.position == 0.0
