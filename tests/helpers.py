"""Test helpers that wait on events, never on the clock."""

from __future__ import annotations

import asyncio
from typing import Callable

from tui.core.events import LogEvent, SessionEvent
from tui.core.nowplaying import NowPlaying


class Recorder:
    """A PlaybackListener that remembers everything and lets a test await a condition."""

    def __init__(self) -> None:
        self.now = NowPlaying()
        self.history: list[NowPlaying] = []
        self.logs: list[LogEvent] = []
        self.queue_changes = 0
        self.session_events: list[SessionEvent] = []
        self._changed = asyncio.Event()

    def queue_changed(self) -> None:
        self.queue_changes += 1
        self._changed.set()

    def now_playing(self, now: NowPlaying) -> None:
        self.now = now
        self.history.append(now)
        self._changed.set()

    def logged(self, event: LogEvent) -> None:
        self.logs.append(event)
        self._changed.set()

    def session_event(self, event: SessionEvent) -> None:
        self.session_events.append(event)
        self._changed.set()

    async def wait_for(self, cond: Callable[[], bool], timeout: float = 15.0) -> None:
        async def loop() -> None:
            while not cond():
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(loop(), timeout)


class Tap(Recorder):
    """Listens in on a Playback while forwarding everything to the app it belongs to."""

    def __init__(self, inner) -> None:
        super().__init__()
        self.inner = inner

    def queue_changed(self) -> None:
        self.inner.queue_changed()
        super().queue_changed()

    def now_playing(self, now: NowPlaying) -> None:
        self.inner.now_playing(now)
        super().now_playing(now)

    def logged(self, event: LogEvent) -> None:
        self.inner.logged(event)
        super().logged(event)

    def session_event(self, event: SessionEvent) -> None:
        self.inner.session_event(event)
        super().session_event(event)
