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
from tui.core.events import (AudioFallback, EndReason, Ended, Level, LogEvent, PauseChanged,
                             PlayerEvent, Progress, Restarted, SessionEvent)
from tui.core.failures import FailureClass
from tui.core.models import ItemStatus, QueueItem, StreamInfo
from tui.core.nowplaying import NowPlaying, PlayState
from tui.core.ports import Player
from tui.core.queue import Queue
from tui.core.redact import redact
from tui.core.refs import RefKind, parse_ref

from .library_files import History, Playlists
from .manager import SessionManager
from .queue_edits import QueueEditing
from .queue_store import QueueStore
from .saving import QueueSaver

log = logging.getLogger(__name__)

SEEK_STEP = 5.0
VOLUME_STEP = 5.0
EARLY_EOF_MARGIN = 2.0  # s before the known end that an EOF counts as a cut-off stream


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """The next item, opened and handed to the player ahead of time."""

    item: QueueItem
    key: str
    generation: int
    info: StreamInfo


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


class Playback(QueueEditing):
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
        self._prepared: _Prepared | None = None
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

    def _next_to_prepare(self) -> QueueItem | None:
        """What plays after the current item when it ends, if the player can have it early:
        a yt-dlp item (a service's would hold one of its few stream slots)."""
        if not self.gapless or self.queue.repeat.value == "one":
            return None
        i = self.queue.next_index()
        if i is None or i == self.queue.current_index:
            return None
        item = self.queue[i]
        kind = parse_ref(item.ref, frozenset(self.session.services)).kind
        return item if kind is RefKind.URL and item.status is not ItemStatus.FAILED else None

    async def _prepare_next(self) -> None:
        item = self._next_to_prepare()
        if item is None or self._prepared is not None or self._key is None:
            return
        request, key = self._request, f"item{next(self._keys)}"
        try:
            info, url, proxied = await self.session.open(key, item.ref, item.uid)
        except Exception as e:  # preparing is an optimisation: playing it later will retry
            log.info("could not prepare %s: %s", redact(item.ref), redact(str(e)))
            return
        if (request != self._request or self._prepared is not None or not proxied
                or self._next_to_prepare() is not item):
            self.session.close(key)
            return
        self._prepared = _Prepared(item, key, self.player.append_next(url), info)

    def _drop_prepared(self) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            self.player.drop_next()
            self.session.close(prepared.key)

    def _loop_or_running(self) -> asyncio.AbstractEventLoop:
        return self._loop or asyncio.get_running_loop()

    def _coming_up(self) -> list[QueueItem]:
        current = self.queue.current_index
        if current is None or self.resolve_ahead <= 0:
            return []
        n = len(self.queue)
        picks = [(current + k) % n for k in range(1, self.resolve_ahead + 1)
                 if current + k < n or self.queue.repeat.value == "all"]
        return [self.queue[i] for i in dict.fromkeys(picks) if i != current]

    def _look_ahead(self) -> None:
        """Pre-resolve the next few items so `n` starts without waiting for yt-dlp."""
        coming = [it for it in self._coming_up() if it.status is not ItemStatus.FAILED]
        self.session.forget_ahead({it.uid for it in coming})
        for item in coming:
            self.session.resolve_ahead(item.uid, item.ref, item.label)

    def _load(self, url: str, start: float, headers: dict[str, str]) -> None:
        self.loads += 1
        self._generation = self.player.load(url, start=start, headers=headers)

    def _open_failed(self, index: int, start: float, e: Exception) -> None:
        """Deterministic failures of the item itself skip it; everything else — a dead
        service, a stream limit, a login — holds the queue here for the user."""
        if isinstance(e, ServiceError) and e.failure_class is FailureClass.DETERMINISTIC \
                and e.failure.code != "stream_limit":
            self._fail(index, str(e))
        else:
            self._hold(index, start, str(e))

    def _hold(self, index: int, position: float, reason: str) -> None:
        reason = redact(reason)
        self._resume = position
        self.queue[index].resume_at = position
        self.queue.set_status(index, ItemStatus.QUEUED)
        self._notify_queue()
        self._log(Level.ERROR, f"{self.queue[index].label}: {reason}; paused here")
        self._update(state=PlayState.IDLE, position=position or None,
                     status=f"paused: {reason} — press space to try again")

    def _fail(self, index: int, reason: str) -> None:
        reason = redact(reason)
        self._release()
        self.queue.set_status(index, ItemStatus.FAILED, reason)
        self._notify_queue()
        label = self.queue[index].label
        self._log(Level.ERROR, f"{label}: {reason}; skipping")
        self._update(state=PlayState.IDLE, status=f"skipped {label}: {reason}")
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= len(self.queue):
            return  # everything failed (with repeat all, skipping would never end)
        self._advance(self.queue.next_index())

    def _advance(self, i: int | None) -> None:
        if i is not None:
            self.play(i)
        else:
            self._release()
            self._update(state=PlayState.IDLE, position=None)

    def _on_session_event(self, event: SessionEvent) -> None:
        self.listener.session_event(event)
        if event.action.startswith(("retrying", "refreshing")) and event.failure:
            self._recovery_status = True
            status = f"recovering {event.resource.split(' · ')[0]}"
            if event.attempt is not None and event.attempts is not None:
                status += f", attempt {event.attempt}/{event.attempts}"
            if event.delay is not None:
                status += f", next in {event.delay:.1f} s"
            self._update(status=status)
        elif self._recovery_status and event.action.startswith(("refreshed", "recovered")):
            self._recovery_status = False
            self._update(status="")

    def _on_degraded(self, key: str, reason: str) -> None:
        """Nothing valid is left for what is playing: stop at this position and hold."""
        index = self.queue.current_index
        if key != self._key or index is None:
            return
        position = self.now.position or 0.0
        self._release()
        self._generation = -1  # what the stopped file still reports no longer counts
        self.player.stop()
        self._hold(index, position, reason)

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

    def _on_ended(self, event: Ended) -> None:
        index = self.queue.current_index
        if index is None:
            return
        position = self.now.position or 0.0
        cut_short = (event.reason is EndReason.EOF and self.now.duration is not None
                     and position < self.now.duration - EARLY_EOF_MARGIN)
        if event.reason is EndReason.EOF and not cut_short:
            self._release()
            self.queue.set_status(index, ItemStatus.READY)
            self.queue[index].resume_at = 0.0
            self._notify_queue()
            prepared, following = self._prepared, self.queue.after_end_index()
            if prepared is not None and following is not None \
                    and self.queue[following] is prepared.item:
                # The player is already moving on to it, gaplessly: just follow.
                self._prepared = None
                self._request += 1
                self.queue.jump(following)
                self.loads += 1
                self._generation = prepared.generation
                self._update(state=PlayState.LOADING, index=following, position=None,
                             title=prepared.info.title, artist=prepared.info.artist,
                             duration=prepared.info.duration, status="")
                self._became_current(following, prepared.key, True, prepared.info)
                return
            self._advance(following)
            return
        if event.reason is EndReason.ERROR:
            self.end_errors += 1
        elif not cut_short:
            return  # stopped or replaced on purpose
        key = self._key
        degraded = self.session.degraded(key) if key else None
        if degraded:
            self._hold(index, position, degraded)
        elif key is not None and not self._proxied and not self._reloaded:
            self._reloaded = True
            self._spawn(self._reload(key, index, position, event.error or "stream ended early"))
        else:
            self._fail(index, f"playback failed: {event.error or 'unknown error'}")

    async def _reload(self, key: str, index: int, position: float, why: str) -> None:
        """For streams the proxy cannot carry: a fresh URL, loaded at the same position."""
        self._log(Level.WARNING, f"{self.queue[index].label}: {why}; reloading at "
                                 f"{position:.0f} s with a fresh URL")
        current = self.session.stream(key)
        try:
            stream = await self.session.refresh(key, rejected_url=current and current.url,
                                                reason=why)
        except (ServiceError, GaveUp, LoginRequired, ResolveError) as e:
            self._hold(index, position, str(e))
            return
        if key == self._key:
            self._load(stream.url, position, dict(stream.headers))

    def _schedule_save(self) -> None:
        if self._saver is not None and self._loop is not None:
            self._saver.schedule()

    def save_now(self) -> None:
        """Write the queue right away, blocking (at exit)."""
        if self._saver is not None:
            self._saver.now()
