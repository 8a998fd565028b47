"""What should play now, and the work under way for it (docs/ARCHITECTURE.md, "Playback:
one state machine", "Every key counts"). The ticket bumps whenever the target changes, and
work started for an older ticket never applies. Moving to an item releases everything the
old target held — what libmpv plays is stopped (unless the new target is the entry it was
handed ahead), the open under way cancelled, the loaded stream closed, the handed-over
entry withdrawn — before the new open starts."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Callable, Mapping

from tui.core.commands import Command, OpenFailed, Opened
from tui.core.events import Level
from tui.core.models import ItemStatus, StreamInfo
from tui.core.nowplaying import PlayState
from tui.core.queue import Queue
from tui.session.store import History
from tui.session.streams import SessionManager

from ._announcer import Announcer
from ._lookahead import LookAhead, Opening
from ._settings import PlaybackSettings
from ._transport import Transport


class Target:
    def __init__(self, queue: Queue, session: SessionManager, transport: Transport,
                 ahead: LookAhead, settings: PlaybackSettings, news: Announcer, *,
                 dispatch: Callable[[Command], None], saved: Callable[[], None],
                 history: History | None = None) -> None:
        """`dispatch`: the machine's own commands (`Opened`, `OpenFailed`) go there;
        `saved`: the queue changed in a way worth saving."""
        self.queue = queue
        self.session = session
        self.transport = transport
        self.ahead = ahead
        self.settings = settings
        self.news = news
        self.dispatch = dispatch
        self.saved = saved
        self.history = history
        self.ticket = 0
        self.opening: Opening | None = None  # the current item's stream, while RESOLVING
        self.start = 0.0                     # where the item being opened starts
        self.start_paused = False            # space pressed while it opened
        self.pending_seek: float | None = None  # a seek asked for while LOADING
        # A seek sent to libmpv that has not landed yet: where it goes. The next relative
        # seek adds onto it, and positions libmpv reports from before it are not taken.
        self.seeking: float | None = None
        self.seek_restarted = False  # libmpv has said it played on after that seek
        self.key: str | None = None          # the session's name for what is loaded
        self.proxied = False
        self.reloaded = False                # a reload-at-position was tried for this failure

    def go(self, index: int, start: float | None) -> None:
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
        self.ticket += 1
        self.queue.jump(index)
        self.start, self.start_paused, self.pending_seek, self.seeking = start, False, None, None
        if prepared is not None and handed:
            # libmpv has it already (and may have moved on to it by itself at an end). A new
            # item starts playing, as a load does, whatever the last one was left at.
            self.transport.player.set_paused(False)
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
        self.news.queue_changed()
        self.news.update(state=PlayState.RESOLVING, index=index, title=item.label,
                         artist=item.artist, position=start or None, duration=item.duration,
                         cover=item.cover, status="", live=False)
        opening = prepared.opening if prepared is not None else \
            Opening(self.session, self.ahead.new_key(), item)
        self.opening = opening
        ticket = self.ticket
        if opening.task.done():
            self._opened(ticket, opening)
        else:
            opening.task.add_done_callback(lambda _t: self._opened(ticket, opening))

    def _opened(self, ticket: int, opening: Opening) -> None:
        t = opening.task
        if t.cancelled():
            return  # released: whoever released it has moved on
        if ticket != self.ticket:
            opening.release()
            return
        if (e := t.exception()) is not None:
            self.dispatch(OpenFailed(ticket, e))  # type: ignore[arg-type]
            return
        info, url, proxied = t.result()
        self.dispatch(Opened(ticket, opening.key, info, url, proxied))

    def settled(self, ticket: int) -> bool:
        """The open for `ticket` finished: whether that is still the target's."""
        if ticket != self.ticket:
            return False
        self.opening = None
        return True

    def _leave_current(self, *, stop_player: bool) -> None:
        """Release everything the current target holds, before a new one opens."""
        self.remember_position()
        if stop_player and (self.transport.current is not None
                            or self.transport.handed is not None):
            self.transport.stop()
        current = self.queue.current
        if current is not None:
            if current.status is ItemStatus.PLAYING:
                current.status = ItemStatus.READY     # it played
            elif current.status is ItemStatus.RESOLVING:
                current.status = ItemStatus.QUEUED    # it never started
        if self.opening is not None:
            self.opening.release()
            self.opening = None
        self.release()

    def release(self) -> None:
        """Close the loaded stream in the session."""
        if self.key is not None:
            self.session.close(self.key)
            self.key = None

    def load(self, key: str, info: StreamInfo, url: str, proxied: bool) -> None:
        """Hand the opened stream to libmpv."""
        self.ahead.drop()  # a replacing load drops libmpv's whole playlist
        self.transport.load(url, start=self.start, headers={} if proxied else dict(info.headers),
                            paused=self.start_paused)
        self._became_current(key, info, proxied)

    def reload(self, url: str, position: float, headers: Mapping[str, str]) -> None:
        """Load a fresh URL of what plays, at `position`."""
        self.ahead.drop()  # a replacing load drops what libmpv was handed
        self.transport.load(url, start=position, headers=headers, paused=False)
        self.news.update(state=PlayState.LOADING)
        self.ahead.update(self.queue, prepare=True)

    def _became_current(self, key: str, info: StreamInfo, proxied: bool) -> None:
        """Bookkeeping once libmpv has what the current item plays."""
        index = self.queue.current_index
        assert index is not None
        item = self.queue[index]
        self.key, self.proxied, self.reloaded = key, proxied, False
        item.title, item.artist = info.title, info.artist
        item.album, item.cover = info.album or item.album, info.cover or item.cover
        item.duration = info.duration if info.duration is not None else item.duration
        self.queue.set_status(index, ItemStatus.PLAYING)
        self.news.queue_changed()
        self.news.update(state=PlayState.LOADING, index=index, title=info.title,
                         artist=info.artist, duration=item.duration, cover=item.cover,
                         position=self.start or None, status="", live=False)
        if self.session.live(key):  # handed over ahead, its playlist read meanwhile
            self.went_live()
        self.news.log(Level.INFO, f"playing {info.title}" + ("" if proxied else " (direct)"))
        self.saved()
        self.ahead.update(self.queue, prepare=True)
        if self.history is not None:
            asyncio.get_running_loop().run_in_executor(None, self.history.append,
                                                       dataclasses.replace(item))

    def went_live(self) -> None:
        """What plays is a live stream (its playlist has no end): no duration, for Now
        Playing and for the item (what yt-dlp or libmpv said of it was a moment's)."""
        item = self.queue.current
        if item is not None:
            item.duration = None
        self.news.update(live=True, duration=None)

    def halt(self) -> None:
        """Nothing plays any more: release all of it (the current item was removed, too)."""
        self.ticket += 1
        self.ahead.drop()
        if self.opening is not None:
            self.opening.release()
            self.opening = None
        self.release()
        self.transport.stop()
        if self.queue.current is None:
            self.news.update(state=PlayState.IDLE, index=None, position=None, status="",
                             cover=None)

    def position(self) -> float | None:
        """Where the current item is (or will start, while it opens)."""
        return self.start if self.news.now.state is PlayState.RESOLVING else self.news.now.position

    def remember_position(self) -> None:
        """A long item keeps where it was left, to resume there next time."""
        item, position = self.queue.current, self.news.now.position
        if item is None or position is None or self.key is None:
            return
        if (item.duration or 0) > self.settings.resume_threshold:
            item.resume_at = position
