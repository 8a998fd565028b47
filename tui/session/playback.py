"""Playback control: the queue, the player and the session manager, driven from the asyncio
loop.

Player events arrive from libmpv's thread through `call_soon_threadsafe` and are matched to
the load that caused them by generation, so an event from a replaced file never moves the
queue. Streams come from the session manager, which keeps them alive; when it cannot, the
player pauses at its position with the reason instead of skipping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from typing import Callable, Coroutine, Protocol

from tui.core.errors import GaveUp, LoginRequired, ResolveError, ServiceError
from tui.core.events import (AudioFallback, Ended, Level, LogEvent, PauseChanged,
                             PlayerEvent, Progress, Restarted, SessionEvent)
from tui.core.models import ItemStatus, StreamInfo
from tui.core.nowplaying import NowPlaying, PlayState
from tui.core.ports import Player
from tui.core.queue import Queue
from tui.core.redact import redact

from .library_files import History, Playlists
from .manager import SessionManager
from .lookahead import LookAhead, Prepared
from .queue_edits import QueueEditing
from .recovery import Recovery
from .queue_store import QueueStore
from .saving import QueueSaver

log = logging.getLogger(__name__)

SEEK_STEP = 5.0
VOLUME_STEP = 5.0


class PlaybackListener(Protocol):
    def queue_changed(self) -> None: ...
    def now_playing(self, now: NowPlaying) -> None: ...
    def logged(self, event: LogEvent) -> None: ...
    def session_event(self, event: SessionEvent) -> None: ...


class _Silent:
    def queue_changed(self) -> None: ...
    def now_playing(self, now: NowPlaying) -> None: ...
    def logged(self, event: LogEvent) -> None: ...
    def session_event(self, event: SessionEvent) -> None: ...


class Playback(QueueEditing, LookAhead, Recovery):
    def __init__(self, player: Player, session: SessionManager, queue: Queue | None = None, *,
                 store: QueueStore | None = None, resume_position: float = 0.0,
                 resume_threshold: float = 600.0, resolve_ahead: int = 3,
                 playlists: Playlists | None = None, history: History | None = None,
                 gapless: bool = True) -> None:
        self.player = player
        self.session = session
        self.queue = queue or Queue()
        self.store = store
        self.now = NowPlaying(index=self.queue.current_index, volume=100.0)
        self.listener: PlaybackListener = _Silent()
        # Others that follow every change (MPRIS): called after the listener.
        self.observers: list[Callable[[], None]] = []
        self._resume = resume_position
        self.resume_threshold = resume_threshold  # s; longer items remember their position
        self.resolve_ahead = resolve_ahead        # items after the current one to pre-resolve
        self.playlists = playlists
        self.history = history
        self.gapless = gapless                    # hand the next item to the player early
        self._generation = 0           # the player load whose events count
        self._request = 0              # bumps on every play request; stale opens are dropped
        self._keys = itertools.count(1)
        self._key: str | None = None   # the session's name for what is loaded
        self._prepared: Prepared | None = None
        self._proxied = False
        self._reloaded = False         # a reload-at-position was tried for the current failure
        self._recovery_status = False
        self._failures_in_a_row = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._saver = None if store is None else QueueSaver(
            store, lambda: store.snapshot(self.queue, self.now.position),
            lambda text: self._log(Level.ERROR, text))
        self._tasks: set[asyncio.Task[None]] = set()
        self.loads = 0                 # player loads, reloads included
        self.end_errors = 0            # end-file events with an error
        self.played = asyncio.Event()  # set whenever audio starts flowing

    # --- lifecycle ------------------------------------------------------------------------

    def attach(self, listener: PlaybackListener) -> None:
        """Start receiving player events on the running loop; `listener` hears every change."""
        self._loop = asyncio.get_running_loop()
        self.listener = listener
        loop = self._loop
        self.player.set_listener(lambda ev: loop.call_soon_threadsafe(self._on_player_event, ev))
        self.session.listeners.append(self._on_session_event)
        self.session.degraded_listeners.append(self._on_degraded)
        self.now = dataclasses.replace(self.now, volume=self.player.volume)
        self.listener.now_playing(self.now)

    def detach(self) -> None:
        self._remember_position()
        self._prepared = None  # the session closes every stream it has
        self.player.set_listener(lambda ev: None)
        if self._on_session_event in self.session.listeners:
            self.session.listeners.remove(self._on_session_event)
        if self._on_degraded in self.session.degraded_listeners:
            self.session.degraded_listeners.remove(self._on_degraded)
        for task in self._tasks:
            task.cancel()
        self.save_now()

    async def aclose(self) -> None:
        """Stop playing first, so no request of the player's is left for the proxy to finish."""
        self.detach()
        self.player.stop()
        await self.session.aclose()

    # --- commands -------------------------------------------------------------------------

    def _changed(self) -> None:
        if self._key is not None:
            self._look_ahead()  # the items coming up may have changed
            if self._prepared is not None and self._next_to_prepare() is not self._prepared.item:
                self._drop_prepared()
                self._spawn(self._prepare_next())
        self._notify_queue()
        self._update(index=self.queue.current_index)
        self._schedule_save()

    def _stop(self) -> None:
        self._drop_prepared()
        self._release()
        self._generation = -1  # what the stopped file still reports no longer counts
        self.player.stop()
        self._update(state=PlayState.IDLE, position=None, index=None, status="")

    def play(self, index: int, *, start: float = 0.0) -> None:
        """Start item `index` (resolving it first); returns at once."""
        self._spawn(self._play(index, start))

    def resume(self) -> None:
        """Play the current item from where it was left."""
        index = self.queue.current_index
        if index is not None:
            self.play(index, start=self._resume)

    def next(self) -> None:
        i = self.queue.next_index()
        if i is not None:
            self.play(i)

    def previous(self) -> None:
        # Like most players: past the first few seconds, `previous` restarts the track.
        if (self.now.position or 0) > 3 and self.queue.current_index is not None:
            self.player.seek(0, relative=False)
            return
        i = self.queue.previous_index()
        if i is not None:
            self.play(i)

    def toggle_pause(self) -> None:
        if self.now.state in (PlayState.PLAYING, PlayState.PAUSED):
            self.player.set_paused(self.now.state is PlayState.PLAYING)
        elif self.queue.current_index is not None:
            self.resume()
        elif len(self.queue):
            self.play(0)

    def stop(self) -> None:
        """Stop, keeping the item and the position: play (space) resumes there."""
        index, position = self.queue.current_index, self.now.position or 0.0
        if index is None or self.now.state is PlayState.IDLE:
            return
        self._drop_prepared()
        self._release()
        self._generation = -1
        self.player.stop()
        self._resume = position
        self.queue.set_status(index, ItemStatus.QUEUED)
        self._notify_queue()
        self._update(state=PlayState.IDLE, position=position, status="")

    def seek_to(self, position: float) -> None:
        if self.now.state in (PlayState.PLAYING, PlayState.PAUSED):
            self.player.seek(position, relative=False)

    def seek(self, delta: float) -> None:
        if self.now.state in (PlayState.PLAYING, PlayState.PAUSED):
            self.player.seek(delta)

    def change_volume(self, delta: float) -> None:
        self.player.set_volume(self.player.volume + delta)
        self._update(volume=self.player.volume)

    # --- internals ------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: "asyncio.Task[None]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (e := task.exception()) is not None:
            log.error("playback task failed: %s", redact(repr(e)))
            self._log(Level.ERROR, f"internal error: {type(e).__name__}: {redact(str(e))}")

    def _log(self, level: Level, text: str) -> None:
        text = redact(text)
        log.log({Level.INFO: logging.INFO, Level.WARNING: logging.WARNING,
                 Level.ERROR: logging.ERROR}[level], "%s", text)
        self.listener.logged(LogEvent(level, text))

    def _update(self, **changes: object) -> None:
        self.now = dataclasses.replace(self.now, **changes)  # type: ignore[arg-type]
        self.listener.now_playing(self.now)
        for observe in self.observers:
            observe()

    def _notify_queue(self) -> None:
        self.listener.queue_changed()
        for observe in self.observers:
            observe()

    def _release(self) -> None:
        if self._key is not None:
            self.session.close(self._key)
            self._key = None

    def _remember_position(self) -> None:
        """A long item keeps where it was left, to resume there next time."""
        index, position = self.queue.current_index, self.now.position
        if index is None or position is None or self._key is None:
            return
        item = self.queue[index]
        if (item.duration or 0) > self.resume_threshold:
            item.resume_at = position

    async def _play(self, index: int, start: float) -> None:
        self._request += 1
        request = self._request
        prepared = self._prepared
        if prepared is not None and prepared.item is self.queue[index] and start == 0 \
                and prepared.item.resume_at == 0:
            self._prepared = None
            self._remember_position()
            self._retire_current()
            self._release()
            self.queue.jump(index)
            self.loads += 1
            self._generation = self.player.play_next()
            self._update(index=index, position=None, status="")
            self._became_current(index, prepared.key, True, prepared.info)
            return
        self._drop_prepared()
        self._remember_position()
        self._retire_current()
        self._release()
        item = self.queue.jump(index)
        if start == 0 and item.resume_at > 0 and (item.duration or 0) > self.resume_threshold:
            start = item.resume_at
        self.queue.set_status(index, ItemStatus.RESOLVING)
        self._notify_queue()
        self._update(state=PlayState.RESOLVING, index=index, title=item.label,
                     artist=item.artist, position=start or None, duration=item.duration,
                     status="")
        key = f"item{next(self._keys)}"
        try:
            info, url, proxied = await self.session.open(key, item.ref, item.uid)
        except ResolveError as e:
            if request == self._request:
                self._fail(index, f"could not resolve: {e}")
            return
        except (ServiceError, GaveUp, LoginRequired) as e:
            if request == self._request:
                self._open_failed(index, start, e)
            return
        except Exception as e:  # a bug or a library surprise: keep the place, say what
            log.exception("opening %s failed", redact(item.ref))
            if request == self._request:
                self._hold(index, start, f"unexpected error: {type(e).__name__}: {e}")
            return
        if request != self._request:
            self.session.close(key)  # the user moved on while this opened
            return
        self._load(url, start, {} if proxied else dict(info.headers))
        self._became_current(index, key, proxied, info)

    def _retire_current(self) -> None:
        """The item that was playing is no longer: mark it played."""
        current = self.queue.current
        if current is not None and current.status is ItemStatus.PLAYING:
            current.status = ItemStatus.READY

    def _became_current(self, index: int, key: str, proxied: bool, info: StreamInfo) -> None:
        """Bookkeeping once the player has what `index` plays (loaded or handed over)."""
        item = self.queue[index]
        self._key, self._proxied, self._reloaded = key, proxied, False
        item.title, item.artist = info.title, info.artist
        item.duration = info.duration if info.duration is not None else item.duration
        self.queue.set_status(index, ItemStatus.PLAYING)
        self._notify_queue()
        self._update(state=PlayState.LOADING, title=info.title, artist=info.artist,
                     duration=info.duration)
        self._log(Level.INFO, f"playing {info.title}" + ("" if proxied else " (direct)"))
        self._schedule_save()
        self._look_ahead()
        if self.history is not None:
            self._loop_or_running().run_in_executor(None, self.history.append,
                                                    dataclasses.replace(item))
        self._spawn(self._prepare_next())

    def _loop_or_running(self) -> asyncio.AbstractEventLoop:
        return self._loop or asyncio.get_running_loop()

    def _load(self, url: str, start: float, headers: dict[str, str]) -> None:
        self.loads += 1
        self._generation = self.player.load(url, start=start, headers=headers)

    def _on_player_event(self, event: PlayerEvent) -> None:
        if event.generation != self._generation:
            return  # from a file that was replaced: never let it move the queue
        if isinstance(event, Progress):
            if self._key is not None:
                self.session.set_position(self._key, event.position)
            self._update(position=event.position,
                         duration=event.duration if event.duration is not None else self.now.duration)
        elif isinstance(event, Restarted):
            if self.now.state is PlayState.LOADING:
                self._update(state=PlayState.PLAYING)
            self._failures_in_a_row = 0
            self.played.set()
        elif isinstance(event, PauseChanged):
            if self.now.state in (PlayState.PLAYING, PlayState.PAUSED, PlayState.LOADING):
                self._update(state=PlayState.PAUSED if event.paused else PlayState.PLAYING)
                self._schedule_save()
        elif isinstance(event, Ended):
            self._on_ended(event)
        elif isinstance(event, AudioFallback):
            self._log(Level.WARNING, f"no audio device could be opened (ao={event.tried}); "
                                     "playing silently on the null output")
            self._update(status="no sound device: playing silently (ao=null)")

    def _schedule_save(self) -> None:
        if self._saver is not None and self._loop is not None:
            self._saver.schedule()

    def save_now(self) -> None:
        """Write the queue right away, blocking (at exit)."""
        if self._saver is not None:
            self._saver.now()
