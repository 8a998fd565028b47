"""Streams resolved ahead for the items coming up, by queue item uid, so that playing one
later skips yt-dlp (docs/ARCHITECTURE.md, "Playback: one state machine", `LookAhead`, and
"Leases and refresh-ahead"). Each is shown in the Session panel and resolved again before
its URL expires while its item is still coming up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable, Iterable

from tui.core.leases import Lease, LeaseKind, RefreshRule
from tui.core.models import StreamInfo
from tui.core.ports import Resolver

from .leasebook import LeaseBook
from .retrying import Retrier
from .scheduler import LeaseScheduler
from .sources import ResolverSource, Stream

AHEAD_MARGIN = 30.0  # s; a stream resolved ahead is renewed (or not used) this close to expiry


def ahead_margin(lifetime: float) -> float:
    """How close to expiry a stream resolved ahead is renewed, or no longer used: short
    lifetimes get a share of themselves, so their pre-resolve is not wasted."""
    return min(AHEAD_MARGIN, 0.25 * max(0.0, lifetime))


class ResolvedAhead:
    def __init__(self, resolver: Resolver, retrier: Retrier, scheduler: LeaseScheduler,
                 book: LeaseBook, rule: RefreshRule, wanted: Callable[[str], bool]) -> None:
        """`wanted(ref)`: whether `ref` may be resolved ahead at all (only yt-dlp
        references: a service's playback session counts against its limit)."""
        self.resolver = resolver
        self.retrier = retrier
        self.scheduler = scheduler
        self.book = book
        self.rule = rule
        self.wanted = wanted
        # The pre-resolved streams by queue item uid, and the uids whose open is under way
        # (taken from here, or not): not resolved again.
        self.streams: dict[int, asyncio.Future[tuple[StreamInfo, Stream]]] = {}
        self._opening: set[int] = set()

    def look_ahead(self, coming: Iterable[tuple[int, str]]) -> None:
        """Keep streams resolved in the background for the items coming up, `(uid, ref)`;
        drop those of items no longer coming."""
        coming = list(coming)
        self.forget({uid for uid, _ref in coming})
        for uid, ref in coming:
            self._resolve(uid, ref)

    def _resolve(self, uid: int, ref: str) -> None:
        if uid in self.streams or uid in self._opening or not self.wanted(ref):
            return
        future = asyncio.ensure_future(ResolverSource(self.resolver, ref, self.retrier).open())
        self.streams[uid] = future

        def done(f: asyncio.Future[tuple[StreamInfo, Stream]]) -> None:
            if f.cancelled() or f.exception() is not None:
                self.streams.pop(uid, None)
                return
            if self.streams.get(uid) is f:
                info, stream = f.result()
                self.book.put(f"ahead:{uid}", Lease(LeaseKind.STREAM_URL, f"next: {info.title}",
                                                    stream.expires_at))
                if stream.expires_at is not None:
                    # Still coming up when it would expire? Resolve it again before then,
                    # and never sooner than the floor: a short or already-passed expiry
                    # must not turn into yt-dlp running every second.
                    lifetime = stream.expires_at - stream.issued_at
                    left = stream.expires_at - time.time()
                    delay = max(self.rule.gap(lifetime), left - ahead_margin(lifetime))
                    self.scheduler.schedule(f"ahead:{uid}", self.scheduler.now() + delay,
                                            lambda: self._renew(uid, ref))
        future.add_done_callback(done)

    def _renew(self, uid: int, ref: str) -> None:
        if uid in self.streams:
            self.streams.pop(uid).cancel()
            self._resolve(uid, ref)

    def forget(self, keep: set[int]) -> None:
        """Drop pre-resolved streams of items no longer coming up (removed, moved away)."""
        for uid in [u for u in self.streams if u not in keep]:
            self.streams.pop(uid).cancel()
            self.scheduler.cancel(f"ahead:{uid}")
            self.book.drop(f"ahead:{uid}")

    @contextmanager
    def opening(self, uid: int | None) -> Iterator[None]:
        """While item `uid` is being opened: it is not resolved ahead meanwhile."""
        if uid is not None:
            self._opening.add(uid)
        try:
            yield
        finally:
            if uid is not None:
                self._opening.discard(uid)

    async def take(self, uid: int | None) -> tuple[StreamInfo, Stream] | None:
        """The stream resolved ahead for `uid`: waited for if still under way (resolving
        again would only do the same work twice), None if there is none or it failed."""
        future = self.streams.pop(uid, None) if uid is not None else None
        self.book.drop(f"ahead:{uid}")
        self.scheduler.cancel(f"ahead:{uid}")
        if future is None:
            return None
        try:
            info, stream = await future
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future.cancelled() and not (task is not None and task.cancelling()):
                return None  # the pre-resolve was called off, not the caller
            raise
        except Exception:
            return None
        # Still good for a while? Otherwise resolving afresh is the safer bet.
        if stream.expires_at is not None:
            left = stream.expires_at - time.time()
            if left < max(2.0, ahead_margin(stream.expires_at - stream.issued_at)):
                return None
        return info, stream
