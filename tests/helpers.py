"""Test helpers that wait on events, never on the clock."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

from tui.core.bus import EventBus
from tui.core.events import (BusEvent, LogEvent, NowPlayingChanged, QueueChanged,
                             SessionEvent)
from tui.core.nowplaying import NowPlaying


class Recorder:
    """Hears everything on a playback's event bus and lets a test await a condition."""

    def __init__(self, bus: EventBus) -> None:
        self.now = NowPlaying()
        self.history: list[NowPlaying] = []
        self.logs: list[LogEvent] = []
        self.queue_changes = 0
        self.session_events: list[SessionEvent] = []
        self._changed = asyncio.Event()
        bus.subscribe(self._hear)

    def _hear(self, event: BusEvent) -> None:
        if isinstance(event, NowPlayingChanged):
            self.now = event.now
            self.history.append(event.now)
        elif isinstance(event, QueueChanged):
            self.queue_changes += 1
        elif isinstance(event, LogEvent):
            self.logs.append(event)
        elif isinstance(event, SessionEvent):
            self.session_events.append(event)
        self._changed.set()

    async def wait_for(self, cond: Callable[[], bool], timeout: float = 15.0) -> None:
        async def loop() -> None:
            while not cond():
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(loop(), timeout)


# Small buffers so libmpv goes back to the network for every seek (and every resume after a
# pause), as it would for a long video that does not fit its cache.
LEAN_CACHE = {"cache": "no", "demuxer_max_bytes": "512KiB", "demuxer_max_back_bytes": "0",
              "demuxer_readahead_secs": "2"}


def counting_player(loads: list[str], **options: object):  # -> MpvPlayer
    """A real MpvPlayer that appends each URL it is handed to `loads`."""
    from tui.adapters.mpv_player import MpvPlayer

    class CountingPlayer(MpvPlayer):
        def load(self, url: str, **kw) -> int:  # type: ignore[override]
            loads.append(url)
            return super().load(url, **kw)
    return CountingPlayer(**options)  # type: ignore[arg-type]


async def until(pilot, cond: Callable[[], bool], timeout: float = 5.0) -> float:
    """Let a Pilot-driven app run until `cond` holds (for state that posts no event);
    returns how long that took."""
    import time

    start = time.monotonic()
    while not cond():
        assert time.monotonic() - start < timeout, "timed out"
        await pilot.pause(0.02)
    return time.monotonic() - start


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


def typed_at_once(app, text: str) -> None:
    """`text` as a terminal delivers keys typed faster than the app handles them (a fast
    typist, keys batched over ssh): read in one chunk, parsed as Textual's driver parses
    it, every key queued on the app before the first is handled."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    for event in [*parser.feed(text), *parser.feed("")]:
        app.post_message(event)


def config_watched(app) -> bool:
    """Whether the app watches its config file for changes: the watcher's worker runs. It
    registers the watch (inotify) as it starts, before its first wait, so a file written
    from then on is seen; one written before is not."""
    from textual.worker import WorkerState

    return any(w.group == "config-watch" and w.state is WorkerState.RUNNING
               for w in app.workers)
