"""Ends and failures for Playback: moving on at the end of an item (gaplessly when the next
was handed over), skipping what cannot play, holding at the position when nothing valid is
left, and reloading at the position streams the proxy cannot carry."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tui.core.errors import GaveUp, LoginRequired, ResolveError, ServiceError
from tui.core.events import EndReason, Ended, Level, SessionEvent
from tui.core.failures import FailureClass
from tui.core.models import ItemStatus
from tui.core.nowplaying import PlayState
from tui.core.redact import redact

if TYPE_CHECKING:
    from .playback import Playback

log = logging.getLogger(__name__)

EARLY_EOF_MARGIN = 2.0  # s before the known end that an EOF counts as a cut-off stream


class Recovery:
    def _open_failed(self: "Playback", index: int, start: float, e: Exception) -> None:
        """Deterministic failures of the item itself skip it; everything else — a dead
        service, a stream limit, a login — holds the queue here for the user."""
        if isinstance(e, ServiceError) and e.failure_class is FailureClass.DETERMINISTIC \
                and e.failure.code != "stream_limit":
            self._fail(index, str(e))
        else:
            self._hold(index, start, str(e))

    def _hold(self: "Playback", index: int, position: float, reason: str) -> None:
        reason = redact(reason)
        self._resume = position
        self.queue[index].resume_at = position
        self.queue.set_status(index, ItemStatus.QUEUED)
        self._notify_queue()
        self._log(Level.ERROR, f"{self.queue[index].label}: {reason}; paused here")
        self._update(state=PlayState.IDLE, position=position or None,
                     status=f"paused: {reason} — press space to try again")

    def _fail(self: "Playback", index: int, reason: str) -> None:
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

    def _advance(self: "Playback", i: int | None) -> None:
        if i is not None:
            self.play(i)
        else:
            self._release()
            self._update(state=PlayState.IDLE, position=None)

    def _on_session_event(self: "Playback", event: SessionEvent) -> None:
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

    def _on_degraded(self: "Playback", key: str, reason: str) -> None:
        """Nothing valid is left for what is playing: stop at this position and hold."""
        index = self.queue.current_index
        if key != self._key or index is None:
            return
        position = self.now.position or 0.0
        self._release()
        self._generation = -1  # what the stopped file still reports no longer counts
        self.player.stop()
        self._hold(index, position, reason)

    def _on_ended(self: "Playback", event: Ended) -> None:
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

    async def _reload(self: "Playback", key: str, index: int, position: float, why: str) -> None:
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
