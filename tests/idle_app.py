"""The app over a player that never plays and a session that never connects: the demo
queue on screen, nothing moving. What the snapshot and layout tests draw, the same on
every run: no audio, no network, no clock (the tests freeze the widgets' clocks)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable, Mapping

import pytest

from tui.config import store
from tui.config.schema import Config
from tui.config.validate import Issue, validate_text
from tui.core.errors import ResolveError
from tui.core.leases import Lease, LeaseKind, LeaseState
from tui.core.m3u import Entry
from tui.core.models import ItemStatus, QueueItem, StreamInfo
from tui.core.player_events import PlayerEvent
from tui.core.queue import Queue
from tui.demo.catalog import TRACKS
from tui.session.playback import Playback
from tui.session.streams import SessionManager
from tui.ui.app import YtplayApp
from tui.ui.config_host import ConfigHost
from tui.ui.widgets import event_log, retry_log, session_panel

NOW = 1_750_000_000.0  # the frozen wall clock the tests give the widgets


def freeze_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The widgets' wall clock, stopped at NOW: countdowns and log stamps are fixed (the
    stamps in UTC, whatever the machine's time zone)."""
    frozen = SimpleNamespace(time=lambda: NOW,
                             strftime=lambda fmt, t=None: time.strftime(fmt, time.gmtime(NOW)))
    for module in (session_panel, event_log, retry_log):
        monkeypatch.setattr(module, "time", frozen)


class IdlePlayer:
    """The Player port, doing nothing: nothing is ever loaded."""

    volume = 100.0
    position: float | None = None

    def set_listener(self, listener: Callable[[PlayerEvent], None]) -> None:
        pass

    def load(self, url: str, *, start: float = 0.0, headers: Mapping[str, str] | None = None,
             paused: bool = False) -> int:
        raise AssertionError("the idle app never plays")

    def append_next(self, url: str) -> int:
        raise AssertionError("the idle app never plays")

    def drop_next(self) -> None: ...
    def play_next(self) -> None: ...
    def stop(self) -> None: ...
    def set_paused(self, paused: bool) -> None: ...
    def seek(self, entry: int, position: float) -> None: ...
    def set_volume(self, volume: float) -> None: ...
    def close(self) -> None: ...


class NoResolver:
    async def resolve(self, ref: str) -> StreamInfo:
        raise ResolveError("the idle app resolves nothing")

    async def expand(self, ref: str) -> list[Entry]:
        return []


class FileHost:
    """A ConfigHost over a config file, applying nothing but the UI's part."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.config = store.load(path)

    def read(self) -> str:
        return store.read_or_create(self.path)

    def validate(self, text: str) -> tuple[Config | None, list[Issue]]:
        return validate_text(text, None)

    def save(self, text: str, expected: str | None = None) -> Config:
        return store.replace(self.path, text, expected=expected)

    def apply(self, config: Config) -> list[str]:
        self.config = config
        return []


def demo_items() -> list[QueueItem]:
    return [QueueItem(ref=f"demo:{t.id}", title=t.title, artist=t.artist,
                      duration=float(t.seconds)) for t in TRACKS]


def demo_leases() -> dict[str, Lease]:
    """What the session panel shows while the demo plays its first track: every kind, one
    retrying after an error, one without an expiry."""
    first, second = TRACKS[0].title, TRACKS[1].title
    return {
        "access": Lease(LeaseKind.ACCESS_TOKEN, "demo", NOW + 245),
        "refresh": Lease(LeaseKind.REFRESH_TOKEN, "demo", None),
        "url": Lease(LeaseKind.STREAM_URL, first, NOW + 85, state=LeaseState.RETRYING,
                     last_error="503 Service Unavailable (the demo service is overloaded)",
                     attempt=2, attempts=4, next_retry_at=NOW + 3),
        "session": Lease(LeaseKind.PLAYBACK_SESSION, first, NOW + 40),
        "ahead": Lease(LeaseKind.STREAM_URL, f"next: {second}", NOW + 3600),
    }


LONG_TITLE = ("An Exceptionally Long Title That Keeps Going Well Past the Edge of Any Column "
              "(Extended Live Recording, Remastered)")
WIDE_TITLE = "夜に駆ける 🌙 東京の雨 🎧"  # every character two cells wide


def wide_items() -> list[QueueItem]:
    """The demo queue with a long title and a wide-character (CJK and emoji) one after its
    first two items."""
    items = demo_items()
    items[2:2] = [QueueItem(ref="demo:long", title=LONG_TITLE, artist="The Long Players",
                            duration=754.0),
                  QueueItem(ref="demo:wide", title=WIDE_TITLE, artist="ヨルシカ 🎹",
                            duration=261.0)]
    return items


def played(items: list[QueueItem], upto: int) -> list[QueueItem]:
    """`items` with the first `upto` played through (✓), as a saved queue has them."""
    for item in items[:upto]:
        item.status = ItemStatus.READY
    return items


def idle_app(items: Iterable[QueueItem] = (), leases: Mapping[str, Lease] | None = None,
             config: ConfigHost | None = None, *, current: int | None = None,
             resume_position: float = 0.0) -> YtplayApp:
    """`current` and `resume_position`: the queue as a restart finds it (a saved queue's
    current item and where it was left)."""
    session = SessionManager(NoResolver())
    for key, lease in (leases or {}).items():
        session.book.put(key, lease)
    playback = Playback(IdlePlayer(), session, Queue(items, current),  # type: ignore[arg-type]
                        resume_position=resume_position)
    return YtplayApp(playback, play_index=None, config=config)
