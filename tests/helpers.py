"""Test helpers that wait on events, never on the clock."""

from __future__ import annotations

import asyncio
from pathlib import Path
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


_STALL = '''
import os, pathlib, time
_real_fsync = os.fsync
def _stall(fd):
    name = pathlib.Path(os.readlink(f"/proc/self/fd/{fd}")).name
    if name.startswith(".%s.") and ".bak" not in name:
        print("flushing", flush=True)  # the new file, half-way to disk
        time.sleep(60)
    _real_fsync(fd)
os.fsync = _stall
'''


def kill_while_flushing(target: Path, save_code: str) -> None:
    """Run `save_code` in a real process and SIGKILL it while it flushes the temp file that
    is to replace `target` — the moment a crash would do the most harm."""
    import signal
    import subprocess
    import sys
    import textwrap

    code = _STALL % target.name + textwrap.dedent(save_code)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "flushing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
