"""Fakes at the playback machine's ports, with the timing in the test's hands
(tests/session/playback/test_playback_machine.py).

- `ScriptedPlayer` is the Player port with libmpv's playlist semantics as the adapter
  (tui/adapters/mpv_player.py) has them. It queues the events libmpv would emit instead of
  emitting them; the test releases them one at a time.
- `FakeSession` stands in for the SessionManager (duck-typed). Every `open` waits until the
  test answers it; cancellation is honoured the way the real manager does it (a source that
  finishes opening after its caller moved on is closed; a service's playback session opens
  only once those are settled).
- `Rig` puts them together with a `Playback` on an event loop of its own.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Mapping

from tui.core.bus import EventBus
from tui.core.errors import GaveUp
from tui.core.events import BusEvent, Level, LogEvent, NowPlayingChanged
from tui.core.models import QueueItem, StreamInfo
from tui.core.nowplaying import NowPlaying
from tui.core.player_events import (EndReason, Ended, PauseChanged, PlayerEvent, Progress,
                                    Restarted, Started)
from tui.core.queue import Queue
from tui.core.refs import RefKind
from tui.session.playback import Playback, PlaybackSettings
from tui.session.streams._sources import Stream

DURATION = 180.0  # s, every file the fake player plays


# --- the player ----------------------------------------------------------------------------


class ScriptedPlayer:
    """libmpv as the adapter drives it: every `load` (replace) and `append_next` allocates
    the next playlist entry id; `load` replaces the playlist, `append_next` appends,
    `drop_next` drops all but the playing entry, `play_next` moves to the appended entry (a
    no-op when already on it), `stop` clears everything. At the end of a file libmpv moves
    on to the next entry by itself. Events are queued, never emitted synchronously."""

    def __init__(self) -> None:
        self._listener: Callable[[PlayerEvent], None] = lambda ev: None
        self._entries = 0
        self.playlist: list[int] = []
        self.playing: int | None = None       # the entry libmpv is on; None: idle
        self.urls: dict[int, str] = {}        # entry -> the URL it was given
        self.paused = False
        self.position: float | None = None
        self._volume = 100.0
        self._generation = 0                  # the entry last started: tags its events
        self.events: deque[PlayerEvent] = deque()
        self.loads: list[tuple[int, str, float, bool]] = []  # entry, url, start, paused
        self.appended: list[int] = []
        self.closed = False

    # --- the Player port ---------------------------------------------------------------

    def set_listener(self, listener: Callable[[PlayerEvent], None]) -> None:
        self._listener = listener

    def load(self, url: str, *, start: float = 0.0, headers: Mapping[str, str] | None = None,
             paused: bool = False) -> int:
        self.set_paused(paused)  # the adapter sets `pause` before `loadfile`
        self._entries += 1
        entry = self._entries
        if self.playing is not None:
            self._end(EndReason.STOP)
        self.playlist = [entry]
        self.urls[entry] = url
        self.loads.append((entry, url, start, paused))
        self._start(entry, start)
        return entry

    def append_next(self, url: str) -> int:
        self._entries += 1
        entry = self._entries
        self.playlist.append(entry)
        self.urls[entry] = url
        self.appended.append(entry)
        return entry

    def drop_next(self) -> None:
        # playlist-clear: everything but the entry being played
        self.playlist = [self.playing] if self.playing is not None else []

    def play_next(self) -> None:
        if self.playing is not None:          # playlist-next weak
            i = self.playlist.index(self.playing)
            if i + 1 < len(self.playlist):
                self._end(EndReason.STOP)
                self._start(self.playlist[i + 1])
            return
        if not self.playlist:                 # playlist-play-index on an empty playlist
            raise SystemError("playlist-play-index: no entry to play")
        self._start(self.playlist[-1])

    def stop(self) -> None:
        if self.playing is not None:
            self._end(EndReason.STOP)
        self.playlist = []

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:             # libmpv reports a property when it changes
            self.paused = paused
            self._emit(PauseChanged(self._generation, paused))

    def seek(self, entry: int, position: float) -> None:
        if self.playing is None or entry != self.playing:
            return  # what MpvPlayer promises: a seek for an entry left behind moves nothing
        self.position = max(0.0, min(DURATION, position))
        self._emit(Restarted(self._generation))
        self._emit(Progress(self._generation, self.position, DURATION))

    def set_volume(self, volume: float) -> None:
        self._volume = max(0.0, min(130.0, volume))

    @property
    def volume(self) -> float:
        return self._volume

    def close(self) -> None:
        self.closed = True

    # --- what the test does to it --------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self.events)

    def deliver_next(self) -> PlayerEvent:
        """Hand the oldest queued event to the listener."""
        event = self.events.popleft()
        self._listener(event)
        return event

    def advance(self, seconds: float) -> None:
        """Time passes while it plays (short of the end)."""
        if self.playing is None or self.paused:
            return
        self.position = min((self.position or 0.0) + seconds, DURATION - 0.5)
        self._emit(Progress(self._generation, self.position, DURATION))

    def end_of_file(self) -> None:
        """The file plays to its end; libmpv moves on to the appended entry, if any."""
        if self.playing is None:
            return
        self.position = DURATION
        self._emit(Progress(self._generation, DURATION, DURATION))
        self._end_and_move_on(EndReason.EOF)

    def cut_short(self) -> None:
        """The stream stops early: libmpv reports an EOF short of the known end."""
        if self.playing is not None:
            self._end_and_move_on(EndReason.EOF)

    def fail(self, error: str = "loading failed") -> None:
        """The file cannot be played on: an END_FILE with an error; libmpv goes on with the
        next playlist entry, as it does after any failed file."""
        if self.playing is not None:
            self._end_and_move_on(EndReason.ERROR, error)

    # --- inside -------------------------------------------------------------------------

    def _emit(self, event: PlayerEvent) -> None:
        self.events.append(event)

    def _start(self, entry: int, start: float = 0.0) -> None:
        self.playing = entry
        self.position = start
        self._generation = entry
        self._emit(Started(entry))
        self._emit(Progress(entry, start, DURATION))
        self._emit(Restarted(entry))

    def _end(self, reason: EndReason, error: str | None = None) -> None:
        assert self.playing is not None
        self._emit(Ended(self.playing, reason, error))
        self.playing = None
        self.position = None

    def _end_and_move_on(self, reason: EndReason, error: str | None = None) -> None:
        assert self.playing is not None
        i = self.playlist.index(self.playing)
        self._end(reason, error)
        if i + 1 < len(self.playlist):
            self._start(self.playlist[i + 1])


# --- the session manager -------------------------------------------------------------------


@dataclass
class PendingOpen:
    """One `open` waiting at the source for the test's answer."""

    n: int
    key: str
    ref: str
    uid: int | None
    service: bool
    answer: asyncio.Future[object]
    released: asyncio.Future[None]
    abandoned: bool = False     # the awaiting `open` was cancelled
    source_open: bool = False   # the source opened (a playback session, for a service)
    url: str | None = None
    proxied: bool = True


@dataclass
class Success:
    proxied: bool = True


class FakeResolver:
    async def expand(self, ref: str) -> list[object]:
        return []


@dataclass
class OpenCall:
    key: str
    ref: str
    uid: int | None


@dataclass
class UrlInfo:
    key: str
    uid: int | None
    proxied: bool
    fresh: bool = False  # a URL from `refresh` (a reload at the position)


class FakeSession:
    """The SessionManager's surface that Playback uses, with every open held until the
    test answers it (`release`)."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self.services: dict[str, object] = {"svc": object()}
        self.resolver = FakeResolver()
        self.pending: list[PendingOpen] = []        # asked, not answered, in order
        self.waiting: dict[str, int | None] = {}    # key -> uid: service opens held in _settled
        self.streams: dict[str, PendingOpen] = {}   # opened, handed to the caller, not closed
        self.sources: set[int] = set()              # PendingOpen.n of every source now open
        self.max_streams = 0
        self.max_sessions = 0
        self.open_calls: list[OpenCall] = []
        self.close_calls: list[str] = []
        self.looked_ahead: list[list[tuple[int, str]]] = []
        self.refreshes: list[str] = []
        self.urls: dict[str, UrlInfo] = {}
        self.positions: dict[str, float] = {}
        self.all_opens: list[PendingOpen] = []
        # Called (on the loop) right before an open returns or raises to its caller, so a
        # model sees the machine as the machine's own done-callback will.
        self.on_outcome: Callable[[PendingOpen, object], None] | None = None
        self._n = itertools.count(1)
        self._fresh = itertools.count(1)

    # --- what Playback calls -------------------------------------------------------------

    def kind(self, ref: str) -> RefKind:
        return RefKind.SERVICE if ref.startswith("svc:") else RefKind.URL

    def cached(self, ref: str) -> bool:
        return False  # no media cache here: tests/session/cache/ has the real one

    def behind_oauth2(self, ref: str) -> bool:
        return False  # tests/session/services/test_oauth2.py has the real ones

    def look_ahead(self, coming) -> None:  # type: ignore[no-untyped-def]
        self.looked_ahead.append(list(coming))

    async def open(self, key: str, ref: str, uid: int | None = None
                   ) -> tuple[StreamInfo, str, bool]:
        self.open_calls.append(OpenCall(key, ref, uid))
        service = self.kind(ref) is RefKind.SERVICE
        if service:
            # The real manager: a new playback session waits for the ones being closed.
            self.waiting[key] = uid
            try:
                closing = [p.released for p in self.all_opens if p.abandoned
                           and not p.released.done()]
                if closing:
                    await asyncio.wait(closing)
            finally:
                del self.waiting[key]
        loop = asyncio.get_running_loop()
        p = PendingOpen(next(self._n), key, ref, uid, service, loop.create_future(),
                        loop.create_future())
        self.pending.append(p)
        self.all_opens.append(p)
        try:
            answer = await asyncio.shield(p.answer)
        except asyncio.CancelledError:
            p.abandoned = True
            if p.source_open:  # it opened, but the caller is gone: close it (manager._abandon)
                self._close_source(p)
            raise
        except Exception as e:
            self._tell(p, e)
            raise
        assert isinstance(answer, tuple)
        self.streams[key] = p
        self.max_streams = max(self.max_streams, len(self.streams))
        self._tell(p, answer)
        return answer  # type: ignore[return-value]

    def close(self, key: str) -> None:
        self.close_calls.append(key)
        p = self.streams.pop(key, None)
        if p is not None:
            self._close_source(p)

    def degraded(self, key: str) -> str | None:
        return None

    def live(self, key: str) -> bool:
        return False  # nothing here is a live stream

    def live_url(self, key: str) -> str | None:
        return None

    def stream(self, key: str) -> Stream | None:
        p = self.streams.get(key)
        return None if p is None or p.url is None else Stream(p.url)

    def set_position(self, key: str, position: float | None) -> None:
        if position is not None:
            self.positions[key] = position

    async def refresh(self, key: str, rejected_url: str | None = None,
                      reason: str = "expiring soon") -> Stream:
        self.refreshes.append(key)
        await asyncio.sleep(0)
        p = self.streams.get(key)
        if p is None:
            raise GaveUp("the stream was closed")
        base = p.url.split("?")[0] if p.url else f"https://cdn.example/{key}"
        p.url = f"{base}?fresh={next(self._fresh)}"
        self.urls[p.url] = UrlInfo(key, p.uid, p.proxied, fresh=True)
        return Stream(p.url)

    async def aclose(self) -> None:
        for key in list(self.streams):
            self.close(key)

    # --- what the test does to it ----------------------------------------------------------

    def release(self, p: PendingOpen, outcome: Success | Exception) -> None:
        """Answer one pending open: a stream, or the exception its source raised."""
        self.pending.remove(p)
        if isinstance(outcome, Success):
            p.proxied = outcome.proxied
            p.url = (f"http://127.0.0.1/p/{p.key}" if outcome.proxied
                     else f"https://cdn.example/{p.key}.m3u8")
            self.urls[p.url] = UrlInfo(p.key, p.uid, p.proxied)
            p.source_open = True
            self.sources.add(p.n)
            self.max_sessions = max(self.max_sessions, len(self.open_sessions()))
            if p.abandoned:
                self._close_source(p)  # manager._abandon: let it finish, then close it
            else:
                info = StreamInfo(p.url, f"title {p.ref}", duration=DURATION)
                p.answer.set_result((info, p.url, p.proxied))
        elif not p.abandoned:
            p.answer.set_exception(outcome)
        p.released.set_result(None)

    def open_sessions(self) -> list[PendingOpen]:
        """Service playback sessions open at the service right now."""
        return [p for p in self.all_opens if p.service and p.n in self.sources]

    def in_flight(self, uid: int | None) -> bool:
        """An open for item `uid` that its caller still waits for."""
        return any(p.uid == uid and not p.abandoned for p in self.pending) or \
            uid in self.waiting.values()

    # --- inside ------------------------------------------------------------------------------

    def _close_source(self, p: PendingOpen) -> None:
        p.source_open = False
        self.sources.discard(p.n)

    def _tell(self, p: PendingOpen, outcome: object) -> None:
        if self.on_outcome is not None:
            asyncio.get_running_loop().call_soon(self.on_outcome, p, outcome)


# --- the rig ---------------------------------------------------------------------------------


@dataclass
class Rig:
    """A Playback over a ScriptedPlayer and a FakeSession, on an event loop of its own."""

    refs: list[str]
    settings: PlaybackSettings = field(default_factory=PlaybackSettings)

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop_errors: list[dict[str, object]] = []
        self.loop.set_exception_handler(lambda _loop, ctx: self.loop_errors.append(ctx))
        self.player = ScriptedPlayer()
        self.session = FakeSession()
        self.queue = Queue([QueueItem(ref=r) for r in self.refs])
        self.pb = Playback(self.player, self.session, self.queue,  # type: ignore[arg-type]
                           settings=self.settings)
        self.logs: list[LogEvent] = []
        self.shown: NowPlaying | None = None   # the last NowPlaying published on the bus
        self.session.bus.subscribe(self._hear)
        self.call(self.pb.attach)

    def _hear(self, event: BusEvent) -> None:
        if isinstance(event, LogEvent):
            self.logs.append(event)
        elif isinstance(event, NowPlayingChanged):
            self.shown = event.now

    def call(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        """Run `fn` on the loop (as a key handler would), without running anything else."""
        async def once() -> object:
            return fn(*args, **kwargs)
        return self.loop.run_until_complete(once())

    def flush(self, rounds: int = 40) -> None:
        """Run the loop until the callbacks and tasks under way have done what they can."""
        async def spin() -> None:
            for _ in range(rounds):
                await asyncio.sleep(0)
        self.loop.run_until_complete(spin())

    def spin(self) -> None:
        """One turn of the loop."""
        self.flush(1)

    def interpose(self, before: Callable[[PlayerEvent], None] | None = None,
                  drop: Callable[[PlayerEvent], bool] | None = None) -> None:
        """Hand player events to the machine the way `Playback.attach` does (scheduled on
        the loop, in order), with `before(event)` run right ahead of the machine's own
        handling, so it sees the machine as the machine will see the event, and events for
        which `drop(event)` says so (then) never reaching it."""
        def process(event: PlayerEvent) -> None:
            if drop is not None and drop(event):
                return
            if before is not None:
                before(event)
            self.pb._on_player_event(event)
        self.player.set_listener(lambda event: self.loop.call_soon(process, event))

    def deliver(self, n: int = 1) -> None:
        """Hand `n` queued player events over (run the loop for the machine to hear them)."""
        for _ in range(n):
            if not self.player.events:
                return
            self.player.deliver_next()

    def deliver_all(self) -> None:
        """Every queued event, the loop run after each."""
        while self.player.events:
            self.player.deliver_next()
            self.flush()

    def release(self, outcome: Success | Exception, which: str = "oldest") -> PendingOpen | None:
        pending = self.session.pending
        if not pending:
            return None
        if which == "live":  # the newest one its caller still waits for
            pending = [p for p in pending if not p.abandoned] or pending
        p = pending[0] if which == "oldest" else pending[-1]
        self.session.release(p, outcome)
        return p

    def internal_errors(self) -> list[str]:
        return [e.text for e in self.logs if e.level is Level.ERROR and "internal error" in e.text]

    def close(self) -> None:
        loop = self.loop
        try:
            self.call(self.pb.detach)
            tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in tasks:
                t.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        finally:
            loop.close()
