"""Snapshots of the main screen at 80×24 (the size most terminals open at) and 140×40 —
idle, playing through a refresh and a retry, restored after a restart, filtered, with a
long and a wide-character title — and of the help screen and the config editor, compared
with the SVGs in tests/__snapshots__/ (pytest-textual-snapshot).

They are drawn from the idle app (tests/idle_app.py): the demo queue, no audio, no
network; what plays is told to the UI on the playback's bus, as the session would, and the
widgets' clocks are frozen, so the expiry countdowns and the log timestamps are the same on
every run. Text fields' cursors do not blink in them. After a deliberate change of the layout:

    .venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update

then look at the new SVGs (snapshot_report.html lists what changed) before committing them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from tests.helpers import until
from tests.idle_app import (LONG_TITLE, NOW, WIDE_TITLE, FileHost, demo_items, demo_leases,
                            freeze_clocks, idle_app, played, wide_items)
from tui.core.events import Level, LogEvent, NowPlayingChanged, QueueChanged, SessionEvent
from tui.core.leases import Lease, LeaseKind, LeaseState
from tui.core.models import ItemStatus
from tui.core.nowplaying import NowPlaying, PlayState
from tui.ui.app import YtplayApp

Compare = Callable[..., bool]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_clocks(monkeypatch)


@pytest.fixture(autouse=True)
def same_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal the app believes it draws on, the same wherever the tests run: Textual
    reads these when an app is made, and a CI runner's TERM=dumb (fewer box characters) or
    NO_COLOR (monochrome) would change every frame."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


async def with_logs(pilot: Pilot[Any]) -> None:
    """A line in each log, as a session that just started would have them."""
    bus = pilot.app.playback.bus  # type: ignore[attr-defined]
    bus.publish(LogEvent(Level.INFO, "demo service at http://127.0.0.1:8765 (user demo)"))
    bus.publish(LogEvent(Level.WARNING, "queue.json: 1 entry left out (a copy was kept)"))
    bus.publish(SessionEvent("access token · demo", "refreshed"))
    bus.publish(SessionEvent("stream URL · Low Tide", "retrying", "transient", 2, 4, 3.0,
                             "503 Service Unavailable"))
    await pilot.pause()


def test_main_screen_80x24(snap_compare: Compare) -> None:
    app = idle_app(demo_items(), demo_leases())
    assert snap_compare(app, terminal_size=(80, 24), run_before=with_logs)


def test_main_screen_80x24_retry_log_tab(snap_compare: Compare) -> None:
    app = idle_app(demo_items(), demo_leases())
    assert snap_compare(app, terminal_size=(80, 24), run_before=with_logs, press=["l"])


def test_main_screen_140x40(snap_compare: Compare) -> None:
    app = idle_app(demo_items(), demo_leases())
    assert snap_compare(app, terminal_size=(140, 40), run_before=with_logs)


def test_help_80x24(snap_compare: Compare) -> None:
    app = idle_app(demo_items(), demo_leases())
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])


# --- playing, through a refresh and a retry ---------------------------------------------


def playing_leases(title: str) -> dict[str, Lease]:
    """The session while `title` plays: the access token just refreshed, the stream URL
    retrying (attempt 2 of 4) after an error, the next item's URL already in hand."""
    return {
        "access": Lease(LeaseKind.ACCESS_TOKEN, "demo", NOW + 300),
        "refresh": Lease(LeaseKind.REFRESH_TOKEN, "demo", NOW + 86_000),
        "url": Lease(LeaseKind.STREAM_URL, title, NOW + 25, state=LeaseState.RETRYING,
                     last_error="503 Service Unavailable (the demo service is overloaded)",
                     attempt=2, attempts=4, next_retry_at=NOW + 4),
        "session": Lease(LeaseKind.PLAYBACK_SESSION, title, NOW + 40,
                         state=LeaseState.REFRESHING),
    }


def playing(index: int, position: float) -> Callable[[Pilot[Any]], Any]:
    """What the session says while queue item `index` plays at `position`: Now Playing,
    the queue's marks, a refresh and a retry in the logs (the status line follows the
    retry, as it does for a real one)."""
    async def run_before(pilot: Pilot[Any]) -> None:
        pb = pilot.app.playback  # type: ignore[attr-defined]
        for i in range(index):
            pb.queue.set_status(i, ItemStatus.READY)
        item = pb.queue.jump(index)
        pb.queue.set_status(index, ItemStatus.PLAYING)
        pb.news.now = NowPlaying(state=PlayState.PLAYING, index=index, title=item.label,
                                 artist=item.artist, position=position,
                                 duration=item.duration, volume=80.0)
        bus = pb.bus
        bus.publish(QueueChanged())
        bus.publish(NowPlayingChanged(pb.now))
        bus.publish(LogEvent(Level.INFO, "demo service at http://127.0.0.1:8765 (user demo)"))
        bus.publish(LogEvent(Level.INFO, f"playing {item.label}"))
        bus.publish(SessionEvent("access token · demo", "refreshing"))
        bus.publish(SessionEvent("access token · demo", "refreshed"))
        bus.publish(SessionEvent(f"stream URL · {item.label}", "retrying", "transient", 1, 4,
                                 1.0, "503 Service Unavailable"))
        bus.publish(SessionEvent(f"stream URL · {item.label}", "retrying", "transient", 2, 4,
                                 4.0, "503 Service Unavailable"))
        bus.publish(LogEvent(Level.WARNING, "stream URL · " + item.label
                             + ": 503 Service Unavailable, retrying"))
        await pilot.pause()
    return run_before


@pytest.mark.parametrize("size", [(80, 24), (140, 40)], ids=["80x24", "140x40"])
def test_playing_with_refresh_and_retry(snap_compare: Compare, size: tuple[int, int]) -> None:
    title = demo_items()[1].label
    app = idle_app(demo_items(), playing_leases(title))
    assert snap_compare(app, terminal_size=size, run_before=playing(1, 83.0))


def test_playing_retry_log_tab_80x24(snap_compare: Compare) -> None:
    title = demo_items()[1].label
    app = idle_app(demo_items(), playing_leases(title))
    assert snap_compare(app, terminal_size=(80, 24), run_before=playing(1, 83.0), press=["l"])


# --- the queue a restart brings back -------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (140, 40)], ids=["80x24", "140x40"])
def test_restored_queue(snap_compare: Compare, size: tuple[int, int]) -> None:
    """Items 0–2 played (✓), item 3 current: "stopped — space resumes at 0:42"."""
    app = idle_app(played(demo_items(), 3), current=3, resume_position=42.0)

    async def check(pilot: Pilot[Any]) -> None:
        now = pilot.app.playback.now  # type: ignore[attr-defined]
        assert now.index == 3 and now.status == "stopped — space resumes at 0:42"
        await pilot.pause()
    assert snap_compare(app, terminal_size=size, run_before=check)


# --- a filtered queue -------------------------------------------------------------------------


async def steady_cursors(pilot: Pilot[Any]) -> None:
    """Text fields with a cursor that does not blink: the frame is the same whenever it is
    taken."""
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await with_logs(pilot)


@pytest.mark.parametrize("size", [(80, 24), (140, 40)], ids=["80x24", "140x40"])
def test_filtered_queue(snap_compare: Compare, size: tuple[int, int]) -> None:
    app = idle_app(demo_items(), demo_leases())
    assert snap_compare(app, terminal_size=size, run_before=steady_cursors,
                        press=["slash", "t", "h", "e"])


# --- the config editor ---------------------------------------------------------------------


def test_config_editor_80x24(snap_compare: Compare, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Over a config file with the defaults. The file is named relative to the working
    directory, so the editor's title is the same on every machine; the watcher for outside
    edits is off (nothing it does is drawn)."""
    from tui.ui.screens.config_editor import ConfigEditor

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(YtplayApp, "_watch_config", lambda self, path: None)
    app = idle_app(demo_items(), demo_leases(), config=FileHost(Path("config.toml")))

    async def open_editor(pilot: Pilot[Any]) -> None:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfigEditor), 20)
        editor = pilot.app.screen
        editor.query_one(TextArea).cursor_blink = False
        errors = editor.query_one("#config-errors", Static)
        await until(pilot, lambda: "valid" in str(errors.render()), 20)  # off the loop
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_editor)


# --- a long title and a wide-character one ------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (140, 40)], ids=["80x24", "140x40"])
def test_wide_title_playing(snap_compare: Compare, size: tuple[int, int]) -> None:
    """CJK and emoji (two cells each) in Now Playing, the queue and the session panel."""
    items = wide_items()
    assert items[3].title == WIDE_TITLE
    app = idle_app(items, playing_leases(WIDE_TITLE))
    assert snap_compare(app, terminal_size=size, run_before=playing(3, 95.0))


@pytest.mark.parametrize("size", [(80, 24), (140, 40)], ids=["80x24", "140x40"])
def test_long_title_playing(snap_compare: Compare, size: tuple[int, int]) -> None:
    """A title longer than any column: cut with …, never pushing the bar or the time out."""
    items = wide_items()
    assert items[2].title == LONG_TITLE
    app = idle_app(items, playing_leases(LONG_TITLE))
    assert snap_compare(app, terminal_size=size, run_before=playing(2, 421.0))
