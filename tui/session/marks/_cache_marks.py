"""Which queue items are in the media cache, and how much of each: `QueueItem.cached`, kept
in step with the cache for the queue view and Now Playing (docs/ARCHITECTURE.md, "The
media cache"). Items are looked up when they join the queue and again whenever the cache
says an entry changed (written as far as a flush, completed, dropped, evicted)."""

from __future__ import annotations

from tui.core.events import BusEvent, QueueChanged
from tui.session.cache import CacheState, MediaCache
from tui.session.playback import Playback


class CacheMarks:
    """A background service of the app: `start` reads the cache folder (on a worker thread)
    and marks the queue; `stop` stops listening."""

    def __init__(self, playback: Playback, cache: MediaCache) -> None:
        self.playback = playback
        self.cache = cache
        self._seen: set[int] = set()      # uids of items looked up already
        self._unsubscribe = lambda: None
        self._marking = False

    async def start(self) -> bool:
        await self.cache.ready()
        self.cache.listeners.append(self._entry_changed)
        self._unsubscribe = self.playback.bus.subscribe(self._heard)
        self._mark({it.ref for it in self.playback.queue})
        return True

    def stop(self) -> None:
        self._unsubscribe()
        if self._entry_changed in self.cache.listeners:
            self.cache.listeners.remove(self._entry_changed)

    def _share(self, ref: str) -> float:
        info = self.cache.lookup(ref)
        return 1.0 if info.state is CacheState.COMPLETE else info.share

    def _heard(self, event: BusEvent) -> None:
        if isinstance(event, QueueChanged) and not self._marking:
            new = {it.ref for it in self.playback.queue if it.uid not in self._seen}
            if new:
                self._mark(new)

    def _entry_changed(self, ref: str) -> None:
        self._mark({ref})

    def _mark(self, refs: set[str]) -> None:
        shares = {ref: self._share(ref) for ref in refs}
        changed = False
        for item in self.playback.queue:
            self._seen.add(item.uid)
            share = shares.get(item.ref)
            if share is not None and item.cached != share:
                item.cached = share
                changed = True
        if changed:
            self._marking = True  # our own QueueChanged needs no look-up
            try:
                self.playback.marks_changed()
            finally:
                self._marking = False
