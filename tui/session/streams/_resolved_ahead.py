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

from tui.core.expiry import clock_note
from tui.core.leases import Lease, LeaseKind, RefreshRule
from tui.core.models import StreamInfo
from tui.core.origins import origin as origin_of
from tui.core.ports import Resolver
from tui.core.retry import RetryBudget
from tui.session.leases import LeaseBook, LeaseScheduler, Retrier

from ._origin_clocks import OriginClocks
from ._sources import ResolverSource, Stream

AHEAD_MARGIN = 30.0  # s; a stream resolved ahead is renewed (or not used) this close to expiry


def ahead_margin(lifetime: float) -> float:
    """How close to expiry a stream resolved ahead is renewed, or no longer used: short
    lifetimes get a share of themselves, so their pre-resolve is not wasted."""
    return min(AHEAD_MARGIN, 0.25 * max(0.0, lifetime))


class ResolvedAhead:
    def __init__(self, resolver: Resolver, retrier: Retrier, scheduler: LeaseScheduler,
                 book: LeaseBook, rule: RefreshRule, wanted: Callable[[str], bool], *,
                 clocks: OriginClocks, limit: RetryBudget) -> None:
        """`wanted(ref)`: whether `ref` may be resolved ahead at all (only yt-dlp
        references: a service's playback session counts against its limit). `limit`: the
        one rate limit of renewals ahead of expiry, which the open streams' share."""
        self.resolver = resolver
        self.retrier = retrier
        self.scheduler = scheduler
        self.book = book
        self.rule = rule
        self.wanted = wanted
        self.clocks = clocks
        self.limit = limit
        # The pre-resolved streams by queue item uid, and the uids whose open is under way
        # (taken from here, or not): not resolved again.
        self.streams: dict[int, asyncio.Future[tuple[StreamInfo, Stream]]] = {}
        self._opening: set[int] = set()
        self._refs: dict[int, str] = {}
        self._stale: dict[int, int] = {}   # times in a row each arrived already expired

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
        source = ResolverSource(self.resolver, ref, self.retrier, self.clocks)
        future = asyncio.ensure_future(source.open())
        self.streams[uid] = future
        self._refs[uid] = ref

        def done(f: asyncio.Future[tuple[StreamInfo, Stream]]) -> None:
            if f.cancelled() or f.exception() is not None:
                self.streams.pop(uid, None)
                return
            if self.streams.get(uid) is f:
                self._keep(uid, *f.result())
        future.add_done_callback(done)

    def _keep(self, uid: int, info: StreamInfo, stream: Stream) -> None:
        """Show a stream resolved ahead, and resolve it again before it expires while its
        item is still coming up: never sooner than the floor, and, while it keeps arriving
        already expired, after a wait that doubles each time (as an open stream's does)."""
        now = time.time()
        expired = stream.expires_at is not None and stream.expires_at <= now
        stale = self._stale[uid] = self._stale.get(uid, 0) + 1 if expired else 0
        note = clock_note(stream.origin_offset or 0.0) or \
            ("arrived already expired" if expired else None)
        self.book.put(f"ahead:{uid}", Lease(LeaseKind.STREAM_URL, f"next: {info.title}",
                                            stream.expires_at, last_error=note))
        if stream.expires_at is None:
            return
        if stale:
            delay = self.rule.stale_gap(stale)
        else:
            lifetime = stream.expires_at - stream.issued_at
            delay = max(self.rule.gap(lifetime), stream.expires_at - now - ahead_margin(lifetime))
        self.scheduler.schedule(f"ahead:{uid}", self.scheduler.now() + delay,
                                lambda: self._renew(uid))

    def _renew(self, uid: int) -> None:
        if uid not in self.streams:
            return
        if not self.limit.try_spend():  # renewals share one rate limit: wait for a turn
            self.scheduler.schedule(f"ahead:{uid}",
                                    self.scheduler.now() + 1.0 / self.limit.per_second,
                                    lambda: self._renew(uid))
            return
        self.streams.pop(uid).cancel()
        self._resolve(uid, self._refs[uid])

    def clock_learnt(self, origin: str, offset: float) -> None:
        """`origin`'s clock was learnt, or moved: the streams resolved ahead from it are
        moved onto ours with it, and their renewals planned again."""
        for uid, future in list(self.streams.items()):
            if not future.done() or future.cancelled() or future.exception() is not None:
                continue  # under way: it reads the clock as it arrives
            info, stream = future.result()
            if origin_of(stream.url) != origin or stream.origin_offset is None:
                continue
            moved: asyncio.Future[tuple[StreamInfo, Stream]] = \
                asyncio.get_running_loop().create_future()
            moved.set_result((info, stream.on_clock(offset)))
            self.streams[uid] = moved
            self._keep(uid, *moved.result())

    def forget(self, keep: set[int]) -> None:
        """Drop pre-resolved streams of items no longer coming up (removed, moved away)."""
        for uid in [u for u in self.streams if u not in keep]:
            self.streams.pop(uid).cancel()
            self._let_go(uid)

    def _let_go(self, uid: int) -> None:
        self.scheduler.cancel(f"ahead:{uid}")
        self.book.drop(f"ahead:{uid}")
        self._refs.pop(uid, None)
        self._stale.pop(uid, None)

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
        if uid is None:
            return None
        future = self.streams.pop(uid, None)
        self._let_go(uid)
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
