"""The responsive layout: what shows at 80×24 and at 140×40, columns in terminal cells with
the scrollbar's room kept, and the panel keys, remembered in the config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.helpers import until
from tests.idle_app import NOW, FileHost, demo_items, demo_leases, freeze_clocks, idle_app
from tui.config import store
from tui.config.defaults import default_text
from tui.config.edit import with_option
from tui.core.models import QueueItem
from tui.core.timefmt import clock
from tui.ui.panels import toggled
from tui.ui.widgets.logs_pane import LogsPane
from tui.ui.widgets.queue_view import QueueView
from tui.ui.widgets.session_panel import (KIND_W, MIN_ERROR, PAD, SHORT_KIND_W, SessionPanel,
                                          detail, plan)


# --- the session panel's columns -----------------------------------------------------------

@pytest.mark.parametrize("width", range(33, 200))
def test_session_columns_fit_and_keep_the_four_that_matter(width: int) -> None:
    layout = plan(width, owner=21)
    keys = [k for k, _ in layout.columns]
    assert keys[:4] == ["kind", "owner", "state", "expires"]
    assert sum(w + PAD for _, w in layout.columns) <= width       # never sideways
    assert keys in (keys[:4], keys[:4] + ["retry"], keys[:4] + ["retry", "error"])
    assert (layout.width("error") or MIN_ERROR) >= MIN_ERROR


def test_a_row_says_what_has_no_column_on_a_line_of_its_own() -> None:
    lease = demo_leases()["url"]
    narrow, wide = plan(43, owner=21), plan(150, owner=21)
    assert detail(lease, NOW, narrow) == \
        "↳ 2/4 in 3s · 503 Service Unavailable (the demo service is overloaded)"
    assert detail(lease, NOW, wide) == ""                       # both have columns there
    assert detail(demo_leases()["access"], NOW, narrow) == ""   # nothing to say


def test_session_columns_drop_the_rest_first_then_grow_back() -> None:
    shown = [len(plan(w, owner=21).columns) for w in range(33, 200)]
    assert shown == sorted(shown) and shown[0] == 4 and shown[-1] == 6
    kinds = [plan(w, owner=21).width("kind") for w in range(33, 200)]
    assert kinds == sorted(kinds) and {kinds[0], kinds[-1]} == {SHORT_KIND_W, KIND_W}


# --- the panel keys ------------------------------------------------------------------------

def test_toggled() -> None:
    all_ = ("session", "events", "retries")
    assert toggled(all_, "session") == ("events", "retries")
    assert toggled(("events", "retries"), "session") == all_
    assert toggled(all_, "logs") == ("session",)
    assert toggled(("session", "retries"), "logs") == ("session",)   # any log shown: off
    assert toggled(("session",), "logs") == all_
    assert toggled((), "logs") == ("events", "retries")


def test_with_option_keeps_the_rest_of_the_file() -> None:
    text = '# mine\n[ui]\ntheme = "nord"  # my theme\npanels = ["session"]  # why\n'
    assert with_option(text, "ui", "panels", ["events"]) == \
        '# mine\n[ui]\ntheme = "nord"  # my theme\npanels = ["events"]  # why\n'
    assert with_option("# nothing yet\n", "ui", "panels", []) == \
        "# nothing yet\n\n[ui]\npanels = []\n"
    assert with_option("[ui\n", "ui", "panels", []) is None
    assert with_option("ui = 3\n", "ui", "panels", []) is None


# --- the app at its sizes ------------------------------------------------------------------

def screen_text(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_80x24_shows_the_queue_and_every_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_clocks(monkeypatch)
    items = demo_items() * 3
    app = idle_app(items, demo_leases())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-narrow", "-short")
        view = app.query_one(QueueView)
        assert view.scrollable_size.height >= 10                    # at least 10 rows
        lines = screen_text(app)
        for item in items[:10]:                                       # durations whole
            assert any(f"{item.title[:8]}" in line and f" {clock(item.duration)} " in line
                       for line in lines), item.title
        panel = app.query_one(SessionPanel)
        assert panel.labels == ["Kind", "Owner", "State", "Expires"]
        assert panel.row_count == len(demo_leases())
        # No room for the retry and the last error: the row that has them says them on a
        # line of its own, under it, across the panel.
        stream = next(i for i, line in enumerate(lines) if "retrying" in line)
        assert "↳ 2/4 in 3s · 503 Service Unavailable" in lines[stream + 1]
        assert panel.region.bottom <= app.query_one(LogsPane).region.y   # nothing hidden
        assert panel.virtual_size.width <= panel.scrollable_size.width   # no sideways
        for expires in ("4m05s", "1m25s", "40s", "1h00m"):
            assert any(expires in line for line in lines), expires
        # The logs share one tabbed pane: one at a time, `l` shows the other.
        events, retries = app.query_one("#events"), app.query_one("#retries")
        assert events.display and not retries.display
        await pilot.press("l")
        assert retries.display and not events.display


async def test_140x40_keeps_the_last_column_clear_of_the_scrollbar() -> None:
    items = [QueueItem(ref=f"demo:x{i}", title=f"Track {i}", artist="Someone", duration=90.0)
             for i in range(60)]                                   # taller than the view
    app = idle_app(items, demo_leases())
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-wide", "-tall")
        view = app.query_one(QueueView)
        assert view.show_vertical_scrollbar and not view.show_horizontal_scrollbar
        assert view.row_width == view.size.width - 1               # the scrollbar's room
        for y in range(view.scrollable_size.height):
            text = view.render_line(y).text
            assert cell_len(text) == view.row_width and text.endswith("  1:30"), text
        panel = app.query_one(SessionPanel)
        assert "Last error" in panel.labels
        assert panel.virtual_size.width <= panel.scrollable_size.width
        assert not panel.show_horizontal_scrollbar
        # Room enough: both logs show, no tabs.
        assert app.query_one("#events").display and app.query_one("#retries").display


async def test_panel_keys_hide_show_and_are_remembered(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(default_text().replace("[ui]\n", "[ui]\n# my own note\n"))
    app = idle_app(demo_items(), config=FileHost(path))
    async with app.run_test(size=(80, 24)) as pilot:
        session, logs, side = (app.query_one(SessionPanel), app.query_one(LogsPane),
                               app.query_one("#side"))
        await pilot.press("S")
        assert not session.display and logs.display
        await pilot.press("L")
        assert not side.display                                      # the queue has it all
        assert app.query_one(QueueView).size.width > 70
        await until(pilot, lambda: store.load(path).ui.panels == [])
        await pilot.press("L", "S", "S")                             # coalesced writes
        await until(pilot, lambda: store.load(path).ui.panels == ["events", "retries"])
        await pilot.pause(0.5)
        assert store.load(path).ui.panels == ["events", "retries"]
        assert "# my own note" in path.read_text()                   # comments kept
    again = idle_app(demo_items(), config=FileHost(path))
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not again.query_one(SessionPanel).display
        assert again.query_one(LogsPane).display
