"""What becomes of the current item when its open fails or its file ends
(docs/ARCHITECTURE.md, "Playback: one state machine", the verdicts of tui/core/verdicts.py
carried out): move on at its end; skip it with the reason when it cannot play; pass over it
while offline; hold at the position when nothing valid is left; reload at the position a
stream the proxy cannot carry. An item is marked failed only when its own resolution or
playback failed."""

from __future__ import annotations

import logging
from typing import Callable

from tui.core.commands import Command, Reloaded
from tui.core.errors import Offline, unnamed
from tui.core.events import Level
from tui.core.models import ItemStatus
from tui.core.nowplaying import PlayState
from tui.core.player_events import Ended
from tui.core.queue import Queue, Repeat
from tui.core.redact import redact
from tui.core.verdicts import Act, after_end, after_open_error
from tui.session.streams import RECOVERABLE, SessionManager

from ._announcer import Announcer
from ._target import Target
from ._tasks import Tasks

log = logging.getLogger(__name__)


class Outcomes:
    def __init__(self, queue: Queue, session: SessionManager, target: Target,
                 news: Announcer, tasks: Tasks, dispatch: Callable[[Command], None]) -> None:
        """`dispatch`: the machine's own commands (`Reloaded`) go there."""
        self.queue = queue
        self.session = session
        self.target = target
        self.news = news
        self.tasks = tasks
        self.dispatch = dispatch
        self._failures_in_a_row = 0

    def played(self) -> None:
        """Audio flows: the count of failures in a row starts again."""
        self._failures_in_a_row = 0

    def open_failed(self, error: Exception) -> None:
        if not isinstance(error, (*RECOVERABLE, Offline)):
            log.error("opening failed unexpectedly", exc_info=error)
        verdict = after_open_error(error)
        if verdict.act is Act.SKIP:
            self.fail(verdict.reason)
        elif verdict.act is Act.PASS:
            # With --offline nothing in this run makes it play: no retry is suggested.
            self._pass_over(verdict.reason,
                            retry=not (isinstance(error, Offline) and error.lasting))
        else:
            self.hold(self.target.start, verdict.reason)

    def hold(self, position: float, reason: str, *, retry: bool = True) -> None:
        """Stop at `position` with the reason; space tries again from there (said when
        `retry`: when trying again can help)."""
        index = self.queue.current_index
        assert index is not None
        self.target.halt()
        item = self.queue[index]
        reason = unnamed(redact(reason), item.label)  # the line names the item already
        item.resume_at = position
        self.queue.set_status(index, ItemStatus.QUEUED)
        self.news.queue_changed()
        self.news.log(Level.ERROR, f"{item.label}: {reason}; paused here")
        self.news.update(state=PlayState.HOLDING, position=position or None,
                         status=f"paused: {reason}" + (" — press space to try again"
                                                       if retry else ""))

    def fail(self, reason: str) -> None:
        """The current item itself cannot play: mark it failed with the reason, move on."""
        index = self.queue.current_index
        assert index is not None
        label = self.queue[index].label
        reason = unnamed(redact(reason), label)  # the line and the item's row name it already
        self.target.release()
        self.queue.set_status(index, ItemStatus.FAILED, reason)
        self.news.queue_changed()
        self.news.log(Level.ERROR, f"{label}: {reason}; skipping")
        self.news.update(state=PlayState.IDLE, status=f"skipped {label}: {reason}")
        self._failures_in_a_row += 1
        following = self.queue.next_index()
        if following is None or self._failures_in_a_row >= len(self.queue):
            self.target.halt()  # everything failed (with repeat all, skipping would never end)
            return
        self.target.go(following, 0.0)

    def _pass_over(self, reason: str, *, retry: bool) -> None:
        """The current item cannot play now (offline and not cached): say why on it, leave
        it queued (it plays once the network is back) and go on to the next item that plays
        without the network; when none follows, hold here, so the place is kept."""
        index = self.queue.current_index
        assert index is not None
        following = self._next_offline(index)
        if following is None:
            self.hold(self.target.start, reason, retry=retry)
            self.queue[index].reason = reason
            self.news.queue_changed()
            return
        self.target.release()
        self.queue.set_status(index, ItemStatus.QUEUED, reason)
        self.news.queue_changed()
        self.news.log(Level.WARNING, f"{self.queue[index].label}: {reason}; passed over")
        self.target.go(following, 0.0)

    def _next_offline(self, index: int) -> int | None:
        """The next item after `index` that plays with no network (cached, a local file)."""
        n = len(self.queue)
        steps = n if self.queue.repeat is Repeat.ALL else n - index
        for step in range(1, steps):
            i = (index + step) % n
            if self.session.plays_offline(self.queue[i].ref):
                return i
        return None

    def ended(self, event: Ended) -> None:
        """The current item's file ended in libmpv, at its end or not."""
        now, key = self.news.now, self.target.key
        verdict = after_end(event.reason, event.error, position=now.position or 0.0,
                            duration=now.duration,
                            degraded=self.session.degraded(key) if key else None,
                            proxied=self.target.proxied, reloaded=self.target.reloaded)
        index = self.queue.current_index
        if verdict.act is Act.IGNORE or index is None:
            return
        if verdict.act is Act.NEXT:
            self.ended_normally()
        elif verdict.act is Act.HOLD:
            self.hold(now.position or 0.0, verdict.reason)
        elif verdict.act is Act.RELOAD:
            self._reload(verdict.reason)
        else:
            self.fail(verdict.reason)

    def ended_normally(self) -> None:
        index = self.queue.current_index
        assert index is not None
        item = self.queue[index]
        item.resume_at = 0.0
        self.target.release()
        self.queue.set_status(index, ItemStatus.READY)
        following = self.queue.after_end_index()
        if following is None:
            self.target.halt()
            self.news.queue_changed()
            self.news.update(state=PlayState.ENDED, position=None, status="end of the queue")
            return
        self.target.go(following, 0.0)

    def _reload(self, why: str) -> None:
        """For streams the proxy cannot carry: a fresh URL, loaded at the same position."""
        target = self.target
        key, position, ticket = target.key, self.news.now.position or 0.0, target.ticket
        assert key is not None
        target.reloaded = True
        label = self.queue.current.label if self.queue.current else key
        self.news.log(Level.WARNING, f"{label}: {why}; reloading at {position:.0f} s with a "
                                     "fresh URL")

        async def reload() -> None:
            current = self.session.stream(key)
            try:
                stream = await self.session.refresh(key, rejected_url=current and current.url,
                                                    reason=why)
            except RECOVERABLE as e:
                if ticket == target.ticket:
                    self.hold(position, str(e))
                return
            self.dispatch(Reloaded(ticket, stream.url, position, dict(stream.headers)))
        self.tasks.spawn(reload())
