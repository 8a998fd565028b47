"""Looking ahead: the next few items resolved in the background, and the very next one
opened and handed to libmpv early, so that it starts at once and gaplessly
(docs/ARCHITECTURE.md, "Playback: one state machine")."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Callable

from tui.core.models import ItemStatus, QueueItem, StreamInfo
from tui.core.queue import Queue, Repeat
from tui.core.redact import redact
from tui.core.refs import RefKind
from tui.session.streams import SessionManager

from ._settings import PlaybackSettings
from ._transport import Transport

log = logging.getLogger(__name__)

Result = tuple[StreamInfo, str, bool]   # as SessionManager.open returns it


class Opening:
    """One stream being opened under `key`. `release` lets go of it at any point: the task
    is cancelled (the manager closes what the source opened meanwhile) or, once opened, the
    stream is closed."""

    def __init__(self, session: SessionManager, key: str, item: QueueItem) -> None:
        self.session = session
        self.key = key
        self.item = item
        self.released = False
        self.task: asyncio.Task[Result] = asyncio.ensure_future(
            session.open(key, item.ref, item.uid))
        self.task.add_done_callback(self._done)

    def _done(self, task: "asyncio.Task[Result]") -> None:
        if task.cancelled() or task.exception() is not None:
            return
        if self.released:  # it finished after all: what it opened is not wanted
            self.session.close(self.key)

    def result(self) -> Result | None:
        """The opened stream, once opened; None while under way or when it failed."""
        t = self.task
        return t.result() if t.done() and not t.cancelled() and t.exception() is None else None

    def release(self) -> None:
        self.released = True
        self.task.cancel()
        self.session.close(self.key)


@dataclass
class Prepared:
    """The next item, opened (or being opened) ahead of time."""

    opening: Opening
    entry: int | None = None   # libmpv's playlist entry, once handed over

    @property
    def item(self) -> QueueItem:
        return self.opening.item


class LookAhead:
    def __init__(self, session: SessionManager, transport: Transport,
                 settings: PlaybackSettings, new_key: Callable[[], str]) -> None:
        self.session = session
        self.transport = transport
        self.settings = settings
        self.new_key = new_key
        self.prepared: Prepared | None = None

    def update(self, queue: Queue, *, prepare: bool) -> None:
        """Follow the queue: pre-resolve what comes up; with `prepare` (the current item is
        loaded), open the very next one too."""
        coming = [it for it in self._coming_up(queue) if it.status is not ItemStatus.FAILED]
        self.session.look_ahead((it.uid, it.ref) for it in coming)
        want = self._next_to_prepare(queue) if prepare else None
        if self.prepared is not None and self.prepared.item is not want:
            self.drop()
        if want is not None and self.prepared is None:
            p = self.prepared = Prepared(Opening(self.session, self.new_key(), want))
            p.opening.task.add_done_callback(lambda _t: self._opened(p))

    def take(self, item: QueueItem) -> Prepared | None:
        """What was prepared for `item`, now the caller's to play or release."""
        p = self.prepared
        if p is None or p.item is not item:
            return None
        self.prepared = None
        return p

    def drop(self) -> None:
        p, self.prepared = self.prepared, None
        if p is not None:
            if p.entry is not None:
                self.transport.withdraw()
            p.opening.release()

    def _opened(self, p: Prepared) -> None:
        if self.prepared is not p:
            return  # taken or dropped meanwhile
        t = p.opening.task
        if t.cancelled() or t.exception() is not None:
            # Preparing is an optimisation: playing the item later opens it afresh.
            error = None if t.cancelled() else t.exception()
            log.info("could not prepare %s: %s", redact(p.item.ref), redact(str(error)))
            self.prepared = None
            return
        _info, url, proxied = t.result()
        if proxied:  # only the proxy keeps a handed-over URL alive while it waits
            p.entry = self.transport.hand_over(url)

    def _next_to_prepare(self, queue: Queue) -> QueueItem | None:
        """What plays after the current item, if it may be opened early: a yt-dlp item (a
        service's would hold one of its few stream slots), or any in the media cache."""
        if not self.settings.gapless or queue.repeat is Repeat.ONE:
            return None
        i = queue.next_index()
        if i is None or i == queue.current_index:
            return None
        item = queue[i]
        if item.status is ItemStatus.FAILED or (self.session.kind(item.ref) is not RefKind.URL
                                                and not self.session.cached(item.ref)):
            return None
        return item

    def _coming_up(self, queue: Queue) -> list[QueueItem]:
        current = queue.current_index
        if current is None or self.settings.resolve_ahead <= 0:
            return []
        n = len(queue)
        picks = [(current + k) % n for k in range(1, self.settings.resolve_ahead + 1)
                 if current + k < n or queue.repeat is Repeat.ALL]
        return [queue[i] for i in dict.fromkeys(picks) if i != current]
