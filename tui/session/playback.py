"""Playback: the one owner of what plays now, as a state machine (docs/ARCHITECTURE.md,
"Playback: one state machine").

Commands (tui.core.commands) are applied by `dispatch`, one at a time, on the asyncio loop.
A key moves the queue at once; opening the stream it asks for is work in flight, tagged
with a ticket. A command that changes the target releases that work — the open is
cancelled and what it opened is closed, the handed-over entry withdrawn — before it starts
its own, so only the last of five quick `n` presses is opened. Player events are sorted by
the transport; stale ones never move the queue. An item is marked failed only when its
own resolution or playback failed (tui.core.verdicts).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging

from tui.core.bus import EventBus
from tui.core.errors import Offline
from tui.core.commands import (Command, Next, OpenFailed, Opened, PlayIndex, Previous,
                               Reloaded, Seek, SeekTo, Stop, TogglePause)
from tui.core.events import (AudioFallback, BusEvent, Ended, Level, LogEvent,
                             NowPlayingChanged, PauseChanged, PlayerEvent, Progress,
                             QueueChanged, Restarted, SessionEvent, Started, StreamDegraded)
from tui.core.models import ItemStatus, StreamInfo
from tui.core.nowplaying import NowPlaying, PlayState
from tui.core.ports import Player, TagReader
from tui.core.queue import Queue, Repeat
from tui.core.redact import redact
from tui.core.timefmt import clock
from tui.core.verdicts import Act, after_end, after_open_error

from .library_files import History, Playlists
from .lookahead import LookAhead, Opening
from .manager import SessionManager
from .queue_editor import QueueEditor
from .queue_store import QueueStore
from .saving import QueueSaver
from .settings import PlaybackSettings
from .stream_leases import RECOVERABLE
from .tasks import Tasks
from .transport import Transport, Whose

log = logging.getLogger(__name__)

SEEK_STEP = 5.0
VOLUME_STEP = 5.0
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
        self.queue = queue or Queue()
        self.settings = settings or PlaybackSettings()
        self.store = store
        self.history = history
        self.now = self._resting(resume_position)
        self.transport = Transport(player)
        keys = itertools.count(1)
        self.ahead = LookAhead(session, self.transport, self.settings,
                               lambda: f"item{next(keys)}")
        self._new_key = self.ahead.new_key
        self.tasks = Tasks(self._task_failed)
        self.edits = QueueEditor(self.queue, session, self.tasks, changed=self._queue_edited,
                                 lost_current=self._halt, log_line=self._log,
                                 playlists=playlists, tags=tags)
        # The target: the ticket bumps whenever what should play changes; work started for
        # an older ticket never applies.
        self._ticket = 0
        self._opening: Opening | None = None  # the current item's stream, while RESOLVING
        self._start = 0.0                     # where the item being opened starts
        self._start_paused = False            # space pressed while it opened
        self._pending_seek: float | None = None  # a seek asked for while LOADING
        self._key: str | None = None          # the session's name for what is loaded
        self._proxied = False
        self._reloaded = False                # a reload-at-position was tried for this failure
        self._recovering = False              # the status line says "recovering"
        self._failures_in_a_row = 0
        self._unsubscribe = lambda: None
        self._saver = None if store is None else QueueSaver(
            store, lambda: store.snapshot(self.queue, self.now.position),
            lambda text: self._log(Level.ERROR, text))

    def _resting(self, position: float) -> NowPlaying:
        """What a restart shows before anything plays: the item space resumes, and where."""
        item = self.queue.current
        if item is None:
            return NowPlaying(volume=100.0)
        item.status = ItemStatus.QUEUED  # not played through: where space picks up
        return NowPlaying(state=PlayState.IDLE, index=self.queue.current_index,
                          title=item.label, artist=item.artist, position=position or None,
                          duration=item.duration, volume=100.0, cover=item.cover,
                          status=f"stopped — space resumes at {clock(position)}")

    # --- lifecycle ------------------------------------------------------------------------

    def attach(self) -> None:
        """Start receiving player and session events on the running loop."""
        loop = asyncio.get_running_loop()
        self.player.set_listener(lambda ev: loop.call_soon_threadsafe(self._on_player_event, ev))
        self._unsubscribe = self.bus.subscribe(self._on_bus_event)
        self._update(volume=self.player.volume)

    def detach(self) -> None:
        self._remember_position()
        self.player.set_listener(lambda ev: None)
        self._unsubscribe()
        self.tasks.cancel_all()
        self.save_now()

    async def aclose(self) -> None:
        """Stop playing first, so no request of the player's is left for the proxy to finish."""
        self.detach()
        self.ahead.drop()
        self._release()
        self.transport.stop()
        await self.session.aclose()

    # --- commands -------------------------------------------------------------------------

    def dispatch(self, command: Command) -> None:
        """Apply one command. Every public method below is one of these."""
        match command:
            case PlayIndex(index, start):
                if 0 <= index < len(self.queue):
                    self._go(index, start)
            case Next():
                i = self.queue.next_index()
                if i is not None:
                    self._go(i, 0.0)
            case Previous():
                if (self.now.position or 0) > RESTART_AFTER and self.now.state.active:
                    self._seek_to(0.0)
                elif (i := self.queue.previous_index()) is not None:
                    self._go(i, None)
            case TogglePause():
                self._toggle_pause()
            case Stop():
                self._stop()
            case Seek(delta):
                self._seek_to(max(0.0, (self._position() or 0.0) + delta))
            case SeekTo(position):
                self._seek_to(max(0.0, position))
            case Opened(ticket, key, info, url, proxied):
                if ticket == self._ticket:
                    self._opening = None
                    self._load(key, info, url, proxied)
            case OpenFailed(ticket, error):
                if ticket == self._ticket:
                    self._opening = None
                    self._open_failed(error)
            case Reloaded(ticket, url, position, headers):
                if ticket == self._ticket:
                    self.ahead.drop()  # a replacing load drops what libmpv was handed
                    self.transport.load(url, start=position, headers=headers, paused=False)
                    self._update(state=PlayState.LOADING)
                    self.ahead.update(self.queue, prepare=True)

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
        """The items' shares in the media cache changed (tui/session/cache_marks.py): the
        queue and Now Playing show them again."""
        self._notify_queue()
        self._update()

    def seek(self, delta: float) -> None:
        self.dispatch(Seek(delta))

    def seek_to(self, position: float) -> None:
        self.dispatch(SeekTo(position))

    def change_volume(self, delta: float) -> None:
        self.player.set_volume(self.player.volume + delta)
        self._update(volume=self.player.volume)

    # --- moving to an item ----------------------------------------------------------------

    def _go(self, index: int, start: float | None) -> None:
        """Make `index` the current item and play it from `start` (None: from where a long
        item was left)."""
        item = self.queue[index]
        if start is None:
            long = (item.duration or 0) > self.settings.resume_threshold
            start = item.resume_at if long else 0.0
        prepared = self.ahead.take(item)
        self.ahead.drop()  # whatever was prepared for another item
        handed = prepared is not None and prepared.entry is not None and start == 0
        # Unless libmpv switches to what it was handed, what it plays now is over: stopped
        # before its stream is closed, so its end is never taken for the new target's.
        self._leave_current(stop_player=not handed)
        self._ticket += 1
        self.queue.jump(index)
        self._start, self._start_paused, self._pending_seek = start, False, None
        if prepared is not None and handed:
            # libmpv has it already (and may have moved on to it by itself at an end). A new
            # item starts playing, as a load does, whatever the last one was left at.
            self.player.set_paused(False)
            self.transport.switch()
            info, _url, _proxied = prepared.opening.result()  # type: ignore[misc]
            self._became_current(prepared.opening.key, info, proxied=True)
            return
        if prepared is not None and prepared.entry is not None:
            prepared.opening.release()  # handed over to start at 0; this start is elsewhere
            prepared = None
        if prepared is not None and prepared.opening.task.done() \
                and prepared.opening.result() is None:
            prepared = None  # preparing it failed: opening it for real decides
        self.queue.set_status(index, ItemStatus.RESOLVING)
        self._notify_queue()
        self._update(state=PlayState.RESOLVING, index=index, title=item.label,
                     artist=item.artist, position=start or None, duration=item.duration,
                     cover=item.cover, status="")
        opening = prepared.opening if prepared is not None else \
            Opening(self.session, self._new_key(), item)
        self._opening = opening
        ticket = self._ticket
        if opening.task.done():
            self._opened(ticket, opening)
        else:
            opening.task.add_done_callback(lambda _t: self._opened(ticket, opening))

    def _opened(self, ticket: int, opening: Opening) -> None:
        t = opening.task
        if t.cancelled():
            return  # released: whoever released it has moved on
        if ticket != self._ticket:
            opening.release()
            return
        if (e := t.exception()) is not None:
            self.dispatch(OpenFailed(ticket, e))  # type: ignore[arg-type]
            return
        info, url, proxied = t.result()
        self.dispatch(Opened(ticket, opening.key, info, url, proxied))

    def _leave_current(self, *, stop_player: bool) -> None:
        """Release everything the current target holds, before a new one opens."""
        self._remember_position()
        if stop_player and (self.transport.current is not None
                            or self.transport.handed is not None):
            self.transport.stop()
        current = self.queue.current
        if current is not None:
            if current.status is ItemStatus.PLAYING:
                current.status = ItemStatus.READY     # it played
            elif current.status is ItemStatus.RESOLVING:
                current.status = ItemStatus.QUEUED    # it never started
        if self._opening is not None:
            self._opening.release()
            self._opening = None
        self._release()

    def _release(self) -> None:
        if self._key is not None:
            self.session.close(self._key)
            self._key = None

    def _load(self, key: str, info: StreamInfo, url: str, proxied: bool) -> None:
        self.ahead.drop()  # a replacing load drops libmpv's whole playlist
        self.transport.load(url, start=self._start, headers={} if proxied else dict(info.headers),
                            paused=self._start_paused)
        self._became_current(key, info, proxied)

    def _became_current(self, key: str, info: StreamInfo, proxied: bool) -> None:
        """Bookkeeping once libmpv has what the current item plays."""
        index = self.queue.current_index
        assert index is not None
        item = self.queue[index]
        self._key, self._proxied, self._reloaded = key, proxied, False
        item.title, item.artist = info.title, info.artist
        item.album, item.cover = info.album or item.album, info.cover or item.cover
        item.duration = info.duration if info.duration is not None else item.duration
        self.queue.set_status(index, ItemStatus.PLAYING)
        self._notify_queue()
        self._update(state=PlayState.LOADING, index=index, title=info.title,
                     artist=info.artist, duration=item.duration, cover=item.cover,
                     position=self._start or None, status="")
        self._log(Level.INFO, f"playing {info.title}" + ("" if proxied else " (direct)"))
        self._schedule_save()
        self.ahead.update(self.queue, prepare=True)
        if self.history is not None:
            asyncio.get_running_loop().run_in_executor(None, self.history.append,
                                                       dataclasses.replace(item))

    # --- pause, stop, seek ----------------------------------------------------------------

    def _toggle_pause(self) -> None:
        state = self.now.state
        if state is PlayState.PAUSED and self._key is not None \
                and (live := self.session.live_url(self._key)) is not None:
            # Live resumes at the live edge, not where libmpv's cache paused: loaded afresh.
            self.dispatch(Reloaded(self._ticket, live, 0.0, {}))
        elif state in (PlayState.PLAYING, PlayState.PAUSED):
            self.player.set_paused(state is PlayState.PLAYING)
        elif state is PlayState.LOADING:  # no audio yet: flip what it will start as
            self._start_paused = not self._start_paused
            self.player.set_paused(self._start_paused)
        elif state is PlayState.RESOLVING:
            self._start_paused = not self._start_paused
            self._update(status="starts paused" if self._start_paused else "")
        elif state is PlayState.ENDED and len(self.queue):
            self._go(0, 0.0)
        elif (i := self.queue.current_index) is not None:
            self._go(i, self.now.position or 0.0)
        elif len(self.queue):
            self._go(0, None)

    def _stop(self) -> None:
        """Stop, keeping the item and the position: space resumes there."""
        index = self.queue.current_index
        if index is None or not (self.now.state.active or self.now.state is PlayState.RESOLVING):
            return
        position = self._position() or 0.0
        self._halt()
        self.queue[index].status = ItemStatus.QUEUED
        self._notify_queue()
        self._update(state=PlayState.IDLE, position=position or None, status="")

    def _halt(self) -> None:
        """Nothing plays any more: release all of it (the current item was removed, too)."""
        self._ticket += 1
        self.ahead.drop()
        if self._opening is not None:
            self._opening.release()
            self._opening = None
        self._release()
        self.transport.stop()
        if self.queue.current is None:
            self._update(state=PlayState.IDLE, index=None, position=None, status="",
                         cover=None)

    def _position(self) -> float | None:
        return self._start if self.now.state is PlayState.RESOLVING else self.now.position

    def _seek_to(self, position: float) -> None:
        if self.now.duration is not None:
            position = min(position, max(0.0, self.now.duration - 1))
        state = self.now.state
        if state is PlayState.RESOLVING:
            self._start = position  # the stream opens there
            self._update(position=position or None)
        elif state is PlayState.LOADING:
            self._pending_seek = position  # applied once audio flows
            self._update(position=position)
        elif state in (PlayState.PLAYING, PlayState.PAUSED):
            self.transport.seek(position)
        elif state in (PlayState.IDLE, PlayState.HOLDING) and self.queue.current is not None:
            self._update(position=position or None)  # where space resumes

    # --- failures -------------------------------------------------------------------------

    def _open_failed(self, error: Exception) -> None:
        if not isinstance(error, (*RECOVERABLE, Offline)):
            log.error("opening failed unexpectedly", exc_info=error)
        verdict = after_open_error(error)
        if verdict.act is Act.SKIP:
            self._fail(verdict.reason)
        elif verdict.act is Act.PASS:
            self._pass_over(verdict.reason)
        else:
            self._hold(self._start, verdict.reason)

    def _hold(self, position: float, reason: str) -> None:
        """Stop at `position` with the reason; space tries again from there."""
        index = self.queue.current_index
        assert index is not None
        self._halt()
        reason = redact(reason)
        item = self.queue[index]
        item.resume_at = position
        self.queue.set_status(index, ItemStatus.QUEUED)
        self._notify_queue()
        self._log(Level.ERROR, f"{item.label}: {reason}; paused here")
        self._update(state=PlayState.HOLDING, position=position or None,
                     status=f"paused: {reason} — press space to try again")

    def _fail(self, reason: str) -> None:
        """The current item itself cannot play: mark it failed with the reason, move on."""
        index = self.queue.current_index
        assert index is not None
        reason = redact(reason)
        self._release()
        self.queue.set_status(index, ItemStatus.FAILED, reason)
        self._notify_queue()
        label = self.queue[index].label
        self._log(Level.ERROR, f"{label}: {reason}; skipping")
        self._update(state=PlayState.IDLE, status=f"skipped {label}: {reason}")
        self._failures_in_a_row += 1
        following = self.queue.next_index()
        if following is None or self._failures_in_a_row >= len(self.queue):
            self._halt()  # everything failed (with repeat all, skipping would never end)
            return
        self._go(following, 0.0)

    def _pass_over(self, reason: str) -> None:
        """The current item cannot play now (offline and not cached): say why on it, leave
        it queued (it plays once the network is back) and go on to the next item that plays
        without the network; when none follows, hold here, so the place is kept."""
        index = self.queue.current_index
        assert index is not None
        following = self._next_offline(index)
        if following is None:
            self._hold(self._start, reason)
            self.queue[index].reason = reason
            self._notify_queue()
            return
        self._release()
        self.queue.set_status(index, ItemStatus.QUEUED, reason)
        self._notify_queue()
        self._log(Level.WARNING, f"{self.queue[index].label}: {reason}; passed over")
        self._go(following, 0.0)

    def _next_offline(self, index: int) -> int | None:
        """The next item after `index` that plays with no network (cached, a local file)."""
        n = len(self.queue)
        steps = n if self.queue.repeat is Repeat.ALL else n - index
        for step in range(1, steps):
            i = (index + step) % n
            if self.session.plays_offline(self.queue[i].ref):
                return i
        return None

    def _end_of_current(self, event: Ended) -> None:
        verdict = after_end(event.reason, event.error, position=self.now.position or 0.0,
                            duration=self.now.duration,
                            degraded=self.session.degraded(self._key) if self._key else None,
                            proxied=self._proxied, reloaded=self._reloaded)
        index = self.queue.current_index
        if verdict.act is Act.IGNORE or index is None:
            return
        if verdict.act is Act.NEXT:
            self._ended_normally()
        elif verdict.act is Act.HOLD:
            self._hold(self.now.position or 0.0, verdict.reason)
        elif verdict.act is Act.RELOAD:
            self._reload(verdict.reason)
        else:
            self._fail(verdict.reason)

    def _ended_normally(self) -> None:
        index = self.queue.current_index
        assert index is not None
        item = self.queue[index]
        item.resume_at = 0.0
        self._release()
        self.queue.set_status(index, ItemStatus.READY)
        following = self.queue.after_end_index()
        if following is None:
            self._halt()
            self._notify_queue()
            self._update(state=PlayState.ENDED, position=None, status="end of the queue")
            return
        self._go(following, 0.0)

    def _reload(self, why: str) -> None:
        """For streams the proxy cannot carry: a fresh URL, loaded at the same position."""
        key, position, ticket = self._key, self.now.position or 0.0, self._ticket
        assert key is not None
        self._reloaded = True
        label = self.queue.current.label if self.queue.current else key
        self._log(Level.WARNING, f"{label}: {why}; reloading at {position:.0f} s with a "
                                 "fresh URL")

        async def reload() -> None:
            current = self.session.stream(key)
            try:
                stream = await self.session.refresh(key, rejected_url=current and current.url,
                                                    reason=why)
            except RECOVERABLE as e:
                if ticket == self._ticket:
                    self._hold(position, str(e))
                return
            self.dispatch(Reloaded(ticket, stream.url, position, dict(stream.headers)))
        self.tasks.spawn(reload())

    # --- events ---------------------------------------------------------------------------

    def _on_player_event(self, event: PlayerEvent) -> None:
        whose = self.transport.whose(event)
        if whose is Whose.HANDED:
            if isinstance(event, Started):  # libmpv moved on by itself at the end of a file
                self._ended_normally()
            return
        if whose is Whose.STALE:
            return
        if isinstance(event, Progress):
            if self.now.state is PlayState.RESOLVING:
                return
            # libmpv reports no position for a moment around a file's end: keep the last,
            # or that end would look like a stream cut short.
            position = event.position if event.position is not None else self.now.position
            if self._key is not None:
                self.session.set_position(self._key, position)
            self._update(position=position,
                         duration=event.duration if event.duration is not None else self.now.duration)
        elif isinstance(event, Restarted):
            if self._pending_seek is not None:
                self.transport.seek(self._pending_seek)
                self._pending_seek = None
            if self.now.state is PlayState.LOADING:
                self._update(state=PlayState.PAUSED if self._start_paused else PlayState.PLAYING)
            self._failures_in_a_row = 0
        elif isinstance(event, PauseChanged):
            if self.now.state in (PlayState.PLAYING, PlayState.PAUSED):
                self._update(state=PlayState.PAUSED if event.paused else PlayState.PLAYING)
                self._schedule_save()
            if self.now.state is not PlayState.RESOLVING:  # not the last load's late news
                self._start_paused = event.paused
        elif isinstance(event, Ended):
            self._end_of_current(event)
        elif isinstance(event, AudioFallback):
            self._log(Level.WARNING, f"no audio device could be opened (ao={event.tried}); "
                                     "playing silently on the null output")
            self._update(status="no sound device: playing silently (ao=null)")

    def _on_bus_event(self, event: BusEvent) -> None:
        if isinstance(event, StreamDegraded):
            # Nothing valid is left for what plays: stop at this position and hold.
            if event.key == self._key and self.queue.current is not None:
                if event.item_fault:  # e.g. refused with every [ytdlp] fallback
                    self._fail(event.reason)
                else:
                    self._hold(self.now.position or 0.0, event.reason)
        elif isinstance(event, SessionEvent):
            self._recovery_status(event)

    def _recovery_status(self, event: SessionEvent) -> None:
        if event.action.startswith(("retrying", "refreshing")) and event.failure:
            self._recovering = True
            status = f"recovering {event.resource.split(' · ')[0]}"
            if event.attempt is not None and event.attempts is not None:
                status += f", attempt {event.attempt}/{event.attempts}"
            if event.delay is not None:
                status += f", next in {event.delay:.1f} s"
            self._update(status=status)
        elif self._recovering and event.action.startswith(("refreshed", "recovered")):
            self._recovering = False
            self._update(status="")

    # --- queue edits ----------------------------------------------------------------------

    def _queue_edited(self) -> None:
        self.ahead.update(self.queue, prepare=self._key is not None)
        self._notify_queue()
        self._update(index=self.queue.current_index)
        self._schedule_save()

    def add(self, refs: list[str], *, play: bool = False) -> list[int]:
        """Append references (the command line, MPRIS OpenUri); `play` starts the first."""
        indexes = self.edits.add(refs)
        if play and indexes:
            self.play(indexes[0])
        return indexes

    # --- telling the world ----------------------------------------------------------------

    def _task_failed(self, e: BaseException) -> None:
        log.error("playback task failed: %s", redact(repr(e)))
        self._log(Level.ERROR, f"internal error: {type(e).__name__}: {redact(str(e))}")

    def _log(self, level: Level, text: str) -> None:
        text = redact(text)
        log.log({Level.INFO: logging.INFO, Level.WARNING: logging.WARNING,
                 Level.ERROR: logging.ERROR}[level], "%s", text)
        self.bus.publish(LogEvent(level, text))

    def _update(self, **changes: object) -> None:
        item = self.queue.current
        changes.setdefault("cached", item.cached if item is not None else 0.0)
        self.now = dataclasses.replace(self.now, **changes)  # type: ignore[arg-type]
        self.bus.publish(NowPlayingChanged(self.now))

    def _notify_queue(self) -> None:
        self.bus.publish(QueueChanged())

    def _remember_position(self) -> None:
        """A long item keeps where it was left, to resume there next time."""
        item, position = self.queue.current, self.now.position
        if item is None or position is None or self._key is None:
            return
        if (item.duration or 0) > self.settings.resume_threshold:
            item.resume_at = position

    def _schedule_save(self) -> None:
        if self._saver is not None:
            self._saver.schedule()

    def save_now(self) -> None:
        """Write the queue right away, blocking (at exit)."""
        if self._saver is not None:
            self._saver.now()
