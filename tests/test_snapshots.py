"""Snapshots of the main screen at 80×24 (the size most terminals open at) and 140×40, and
of the help screen, compared with the SVGs in tests/__snapshots__/ (pytest-textual-snapshot).

They are drawn from the idle app (tests/idle_app.py): the demo queue, nothing playing, no
audio, no network; the widgets' clocks are frozen, so the expiry countdowns and the log
timestamps are the same on every run. After a deliberate change of the layout:

    .venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update

then look at the new SVGs (snapshot_report.html lists what changed) before committing them.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from textual.pilot import Pilot

from tests.idle_app import demo_items, demo_leases, freeze_clocks, idle_app
from tui.core.events import Level, LogEvent, SessionEvent

Compare = Callable[..., bool]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_clocks(monkeypatch)


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
