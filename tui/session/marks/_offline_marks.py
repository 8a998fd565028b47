"""While ytplay is offline (`--offline`, or the network found down), every queued item that
cannot play without the network says so on itself — "not cached — offline", or with
--offline that it cannot play in this run and how it could
(tui/session/streams/_connectivity.py) — before it is reached; the reason goes when the
network is back or the item becomes cached (docs/ARCHITECTURE.md, "Offline"). Nothing is marked failed: it is a reason on a queued
item, as `Playback` puts one when it passes an item over."""

from __future__ import annotations

from tui.core.events import BusEvent, QueueChanged
from tui.core.models import ItemStatus, QueueItem
from tui.session.playback import Playback
from tui.session.streams import OFFLINE_REASONS


class OfflineMarks:
    """A background service of the app. Items are looked at when they join the queue, all
    of them when the network goes off or on, and those of one reference when its cache
    entry changes."""

    def __init__(self, playback: Playback) -> None:
        self.playback = playback
        self.session = playback.session
        self._seen: set[int] = set()      # uids looked at already
        self._unsubscribe = lambda: None

    async def start(self) -> bool:
        cache = self.session.cache
        if cache is not None:
            await cache.ready()  # what is cached is known before anything is marked
            cache.listeners.append(self._entry_changed)
        self.session.connectivity.listeners.append(self._flipped)
        self._unsubscribe = self.playback.bus.subscribe(self._heard)
        self._mark(list(self.playback.queue))
        return True

    def stop(self) -> None:
        self._unsubscribe()
        for listeners, fn in ((self.session.connectivity.listeners, self._flipped),
                              (getattr(self.session.cache, "listeners", []),
                               self._entry_changed)):
            if fn in listeners:
                listeners.remove(fn)

    def _flipped(self, _offline: bool) -> None:
        self._mark(list(self.playback.queue))

    def _entry_changed(self, ref: str) -> None:
        self._mark([it for it in self.playback.queue if it.ref == ref])

    def _heard(self, event: BusEvent) -> None:
        if isinstance(event, QueueChanged):
            new = [it for it in self.playback.queue if it.uid not in self._seen]
            if new:
                self._mark(new)

    def _mark(self, items: list[QueueItem]) -> None:
        offline = self.session.connectivity.offline
        changed = False
        for item in items:
            self._seen.add(item.uid)
            if item.reason is not None and item.reason not in OFFLINE_REASONS \
                    or item.status is ItemStatus.FAILED:
                continue  # another reason (a failure) is its own
            want = self.session.connectivity.reason if offline \
                and item.status is ItemStatus.QUEUED \
                and not self.session.plays_offline(item.ref) else None
            if item.reason != want:
                item.reason = want
                changed = True
        if changed:
            self.playback.marks_changed()
