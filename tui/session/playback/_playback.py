"""Playback: the one owner of what plays now, as a state machine (docs/ARCHITECTURE.md,
"Playback: one state machine").

Commands (tui.core.commands) are applied by `dispatch`, one at a time, on the asyncio loop.
A key moves the queue at once; opening the stream it asks for is work in flight, tagged
with a ticket. A command that changes the target releases that work — the open is
cancelled and what it opened is closed, the handed-over entry withdrawn — before it starts
its own, so only the last of five quick `n` presses is opened. Player events are sorted by
the transport; stale ones never move the queue. An item is marked failed only when its
own resolution or playback failed (tui.core.verdicts).

Its parts, each with its own state: the target and the work under way for it
(_target.py), what becomes of an item whose open fails or whose file ends (_outcomes.py),
what is told to the rest of ytplay (_announcer.py), libmpv's entries (_transport.py), what
is opened ahead (_lookahead.py) and the queue's edits (_queue_editor.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from tui.core.bus import EventBus
from tui.core.commands import (Command, Next, OpenFailed, Opened, PlayIndex, Previous,
                               Reloaded, Seek, SeekTo, Stop, TogglePause)
from tui.core.events import BusEvent, Level, SessionEvent, StreamDegraded, StreamLive
from tui.core.models import ItemStatus, QueueItem
from tui.core.nowplaying import NowPlaying, PlayState, resting
from tui.core.player_events import (AudioFallback, Ended, PauseChanged, PlayerEvent, Progress,
                                    Restarted, Started)
from tui.core.ports import Player, TagReader
from tui.core.queue import Queue
from tui.core.redact import redact
from tui.core.timefmt import clock
from tui.session.store import History, Playlists, QueueSaver, QueueStore
from tui.session.streams import SessionManager

from ._announcer import Announcer
from ._lookahead import LookAhead
from ._outcomes import Outcomes
from ._queue_editor import QueueEditor
from ._settings import PlaybackSettings
from ._target import Target
from ._tasks import Tasks
from ._transport import Transport, Whose

log = logging.getLogger(__name__)

RESTART_AFTER = 3.0  # s into a track, `previous` restarts it instead


class Playback:
    def __init__(self, player: Player, session: SessionManager, queue: Queue | None = None, *,
                 settings: PlaybackSettings | None = None, store: QueueStore | None = None,
                 resume_position: float = 0.0, playlists: Playlists | None = None,
                 history: History | None = None, tags: TagReader | None = None) -> None:
        """`tags`: reads the tags of local files as they are added."""
        self.player = player
        self.session = session
        self.bus: EventBus = session.bus
        # An empty queue is kept too: it is the one the first frame shows.
        self.queue = queue if queue is not None else Queue()
        self.settings = settings or PlaybackSettings()
        self.store = store
        self.history = history
        self.news = Announcer(self.bus, self.queue, resting(self.queue, resume_position))
        self.transport = Transport(player)
        keys = itertools.count(1)
        self.ahead = LookAhead(session, self.transport, self.settings,
                               lambda: f"item{next(keys)}")
        self.tasks = Tasks(self._task_failed)
        # The target: the ticket bumps whenever what should play changes; work started for
        # an older ticket never applies.
        self.target = Target(self.queue, session, self.transport, self.ahead, self.settings,
                             self.news, dispatch=self.dispatch, saved=self._schedule_save,
                             history=history)
        self.outcomes = Outcomes(self.queue, session, self.target, self.news, self.tasks,
                                 self.dispatch)
        self.edits = QueueEditor(self.queue, session, self.tasks, changed=self._queue_edited,
                                 playing=self._playing, lost_current=self._lost_current,
                                 regained_current=self._regained_current,
                                 log_line=self.news.log, playlists=playlists, tags=tags)
        self._unsubscribe = lambda: None
        self._saver = None if store is None else QueueSaver(
            store, lambda: store.snapshot(self.queue, self.now.position),
            lambda text: self.news.log(Level.ERROR, text))

    @property
    def now(self) -> NowPlaying:
        """What Now Playing shows."""
        return self.news.now

    # --- lifecycle ------------------------------------------------------------------------

    def attach(self) -> None:
        """Start receiving player and session events on the running loop."""
        loop = asyncio.get_running_loop()
        self.player.set_listener(lambda ev: loop.call_soon_threadsafe(self._on_player_event, ev))
        self._unsubscribe = self.bus.subscribe(self._on_bus_event)
        self.news.update(volume=self.player.volume)

    def detach(self) -> None:
        self.target.remember_position()
        self.player.set_listener(lambda ev: None)
        self._unsubscribe()
        self.tasks.cancel_all()
        self.save_now()

    async def aclose(self) -> None:
        """Stop playing first, so no request of the player's is left for the proxy to finish."""
        self.detach()
        self.ahead.drop()
        self.target.release()
        self.transport.stop()
        await self.session.aclose()

    # --- commands -------------------------------------------------------------------------

    def dispatch(self, command: Command) -> None:
        """Apply one command. Every public method below is one of these."""
        target = self.target
        match command:
            case PlayIndex(index, start):
                if 0 <= index < len(self.queue):
                    target.go(index, start)
            case Next():
                i = self.queue.next_index()
                if i is not None:
                    target.go(i, 0.0)
            case Previous():
                if (self.now.position or 0) > RESTART_AFTER and self.now.state.active \
                        and not self.now.live:  # a live stream has no start to go back to
                    self._seek_to(0.0)
                elif (i := self.queue.previous_index()) is not None:
                    target.go(i, None)
            case TogglePause():
                self._toggle_pause()
            case Stop():
                self._stop()
            case Seek(delta):
                self._seek_to(max(0.0, (target.position() or 0.0) + delta))
            case SeekTo(position):
                self._seek_to(max(0.0, position))
            case Opened(ticket, key, info, url, proxied):
                if target.settled(ticket):
                    target.load(key, info, url, proxied)
            case OpenFailed(ticket, error):
                if target.settled(ticket):
                    self.outcomes.open_failed(error)
            case Reloaded(ticket, url, position, headers):
                if ticket == target.ticket:
                    target.reload(url, position, headers)

    def play(self, index: int, *, start: float | None = None) -> None:
        self.dispatch(PlayIndex(index, start))

    def next(self) -> None:
        self.dispatch(Next())

    def previous(self) -> None:
        self.dispatch(Previous())

    def toggle_pause(self) -> None:
        self.dispatch(TogglePause())

    def stop(self) -> None:
        self.dispatch(Stop())

    def marks_changed(self) -> None:
        """The items' shares in the media cache changed (tui/session/marks/_cache_marks.py): the
        queue and Now Playing show them again."""
        self.news.queue_changed()
        self.news.update()

    def seek(self, delta: float) -> None:
        self.dispatch(Seek(delta))

    def seek_to(self, position: float) -> None:
        self.dispatch(SeekTo(position))

    def change_volume(self, delta: float) -> None:
        self.player.set_volume(self.player.volume + delta)
        self.news.update(volume=self.player.volume)

    # --- pause, stop, seek ----------------------------------------------------------------

    def _toggle_pause(self) -> None:
        state, target = self.now.state, self.target
        if state is PlayState.PAUSED and target.key is not None \
                and (live := self.session.live_url(target.key)) is not None:
            # Live resumes at the live edge, not where libmpv's cache paused: loaded afresh.
            self.dispatch(Reloaded(target.ticket, live, 0.0, {}))
        elif state in (PlayState.PLAYING, PlayState.PAUSED):
            self.player.set_paused(state is PlayState.PLAYING)
        elif state is PlayState.LOADING:  # no audio yet: flip what it will start as
            target.start_paused = not target.start_paused
            self.player.set_paused(target.start_paused)
        elif state is PlayState.RESOLVING:
            target.start_paused = not target.start_paused
            self.news.update(status="starts paused" if target.start_paused else "")
        elif state is PlayState.ENDED and len(self.queue):
            target.go(0, 0.0)
        elif (i := self.queue.current_index) is not None:
            target.go(i, self.now.position or 0.0)
        elif len(self.queue):
            target.go(0, None)

    def _stop(self) -> None:
        """Stop, keeping the item and the position: space resumes there."""
        index = self.queue.current_index
        if index is None or not (self.now.state.active or self.now.state is PlayState.RESOLVING):
            return
        position = self.target.position() or 0.0
        self.target.halt()
        self.queue[index].status = ItemStatus.QUEUED
        self.news.queue_changed()
        self.news.update(state=PlayState.IDLE, position=position or None, status="")

    def _seek_to(self, position: float) -> None:
        if self.now.live:
            return  # played at its live edge: nothing to seek in (tui/session/proxy/_hls_relay.py)
        if self.now.duration is not None:
            position = min(position, max(0.0, self.now.duration - 1))
        state = self.now.state
        if state is PlayState.RESOLVING:
            self.target.start = position  # the stream opens there
            self.news.update(position=position or None)
        elif state is PlayState.LOADING:
            self.target.pending_seek = position  # applied once audio flows
            self.news.update(position=position)
        elif state in (PlayState.PLAYING, PlayState.PAUSED):
            # Shown at once, and the base of the next relative seek: keys typed faster than
            # libmpv reports the position (it does once a second) each add their step.
            self.target.seeking, self.target.seek_restarted = position, False
            self.transport.seek(position)
            self.news.update(position=position)
        elif state in (PlayState.IDLE, PlayState.HOLDING) and self.queue.current is not None:
            self.news.update(position=position or None)  # where space resumes

    # --- events ---------------------------------------------------------------------------

    def _on_player_event(self, event: PlayerEvent) -> None:
        whose = self.transport.whose(event)
        if whose is Whose.HANDED:
            if isinstance(event, Started):  # libmpv moved on by itself at the end of a file
                self.outcomes.ended_normally()
            return
        if whose is Whose.STALE:
            return
        target = self.target
        if isinstance(event, Progress):
            if self.now.state is PlayState.RESOLVING:
                return
            # libmpv reports no position for a moment around a file's end: keep the last,
            # or that end would look like a stream cut short.
            position = event.position if event.position is not None else self.now.position
            if target.seeking is not None:
                if not target.seek_restarted or position is None \
                        or target.seeking - 1.5 < position <= target.seeking:
                    # Where it goes is shown until libmpv has played on past it. Before its
                    # playback restart, a position is from before the seek; after it, libmpv
                    # lands at the target and then reports a frame or its output's buffer
                    # before it (4.81 for 5), which whole seconds would show as the second
                    # before, and a relative seek would start from.
                    position = target.seeking
                else:
                    target.seeking = None  # moved on from it (or landed elsewhere)
            if target.key is not None:
                self.session.set_position(target.key, position)
            self.news.update(position=position,
                             duration=event.duration if event.duration is not None
                             else self.now.duration)
        elif isinstance(event, Restarted):
            # What libmpv was asked is done: the position it reports next is where it went.
            target.seek_restarted = True
            if target.pending_seek is not None:
                target.seeking, target.seek_restarted = target.pending_seek, False
                self.transport.seek(target.pending_seek)
                target.pending_seek = None
            if self.now.state is PlayState.LOADING:
                self.news.update(state=PlayState.PAUSED if target.start_paused
                                 else PlayState.PLAYING)
            self.outcomes.played()
        elif isinstance(event, PauseChanged):
            if self.now.state in (PlayState.PLAYING, PlayState.PAUSED):
                self.news.update(state=PlayState.PAUSED if event.paused else PlayState.PLAYING)
                self._schedule_save()
            if self.now.state is not PlayState.RESOLVING:  # not the last load's late news
                target.start_paused = event.paused
        elif isinstance(event, Ended):
            self.outcomes.ended(event)
        elif isinstance(event, AudioFallback):
            self.news.log(Level.WARNING, f"no audio device could be opened (ao={event.tried}); "
                                         "playing silently on the null output")
            self.news.update(status="no sound device: playing silently (ao=null)")

    def _on_bus_event(self, event: BusEvent) -> None:
        if isinstance(event, StreamDegraded):
            # Nothing valid is left for what plays: stop at this position and hold.
            if event.key == self.target.key and self.queue.current is not None:
                if event.item_fault:  # e.g. refused with every [ytdlp] fallback
                    self.outcomes.fail(event.reason)
                else:
                    self.outcomes.hold(self.now.position or 0.0, event.reason)
        elif isinstance(event, StreamLive):
            if event.key == self.target.key:
                self.target.went_live()
        elif isinstance(event, SessionEvent):
            self.news.session_event(event)

    # --- queue edits ----------------------------------------------------------------------

    def _queue_edited(self) -> None:
        self.ahead.update(self.queue, prepare=self.target.key is not None)
        self.news.queue_changed()
        self.news.update(index=self.queue.current_index)
        self._schedule_save()

    def _playing(self) -> bool:
        """The current item plays, or is on its way to and not to start paused."""
        state = self.now.state
        return state is PlayState.PLAYING or (
            state in (PlayState.LOADING, PlayState.RESOLVING) and not self.target.start_paused)

    def _lost_current(self, item: QueueItem) -> None:
        """The current item was removed: it keeps where it was, as a long item keeps where it
        was left, for an undo to pick up there; what played it is released."""
        item.resume_at = self.target.position() or 0.0
        self.target.halt()

    def _regained_current(self, item: QueueItem, playing: bool) -> None:
        """An undo made `item` current again: played on from where it was if it was playing,
        else stopped there, where space resumes."""
        index = self.queue.index_of(item)
        if playing:
            self.target.go(index, item.resume_at)
        else:
            self.queue.set_status(index, ItemStatus.QUEUED)  # not played through, as a stop
            self.news.update(state=PlayState.IDLE, index=index, title=item.label,
                             artist=item.artist, duration=item.duration, cover=item.cover,
                             position=item.resume_at or None,
                             status=f"stopped — space resumes at {clock(item.resume_at)}")

    def add(self, refs: list[str], *, play: bool = False) -> list[int]:
        """Append references (the command line, MPRIS OpenUri); `play` starts the first."""
        indexes = self.edits.add(refs)
        if play and indexes:
            self.play(indexes[0])
        return indexes

    # --- errors, saving -------------------------------------------------------------------

    def _task_failed(self, e: BaseException) -> None:
        log.error("playback task failed: %s", redact(repr(e)))
        self.news.log(Level.ERROR, f"internal error: {type(e).__name__}: {redact(str(e))}")

    def _schedule_save(self) -> None:
        if self._saver is not None:
            self._saver.schedule()

    def save_now(self) -> None:
        """Write the queue right away, blocking (at exit)."""
        if self._saver is not None:
            self._saver.now()
