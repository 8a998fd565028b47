"""The config editor and the file changing on disk while it is open: a save never writes
over the file's changes without asking; the person keeps theirs, takes the file's or
merges. Leaving with edits not saved asks too. A real file; the app's own watcher runs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from tests.helpers import until
from tests.idle_app import FileHost, demo_items, idle_app
from tui.config.defaults import default_text
from tui.core.merge import MINE_MARK
from tui.ui.app import YtplayApp
from tui.ui.screens.config_conflict import ConfigConflict
from tui.ui.screens.config_editor import ConfigEditor
from tui.ui.screens.discard_edits import DiscardEdits
from tui.ui.widgets.code_editor import CodeEditor


@asynccontextmanager
async def editing(path: Path) -> AsyncIterator[tuple[YtplayApp, object, ConfigEditor]]:
    """The app with `path` as its config, the editor open on it, volume set to 70 there
    (not saved)."""
    path.write_text(default_text())
    async with idle_app(demo_items(), config=FileHost(path)).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfigEditor))
        editor = app.screen
        area = editor.query_one(CodeEditor)
        row = area.text.splitlines().index("volume = 100")
        area.replace("volume = 70", (row, 0), (row, len("volume = 100")))
        yield app, pilot, editor


def outside(path: Path, old: str, new: str) -> None:
    """The file changed by another program (another editor, `ytplay config`)."""
    path.write_text(path.read_text().replace(old, new))


async def test_a_save_over_a_changed_file_shows_both_and_merges(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    async with editing(path) as (app, pilot, editor):
        outside(path, "resolve_ahead = 3", "resolve_ahead = 5")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfigConflict))
        shown = "\n".join(str(s.render()) for s in app.screen.query("#conflict-diff Static"))
        assert "+resolve_ahead = 5" in shown and "+volume = 70" in shown
        assert "resolve_ahead = 5" in path.read_text()      # nothing written yet
        await pilot.press("m")
        await until(pilot, lambda: app.screen is editor)
        assert "volume = 70" in editor.text and "resolve_ahead = 5" in editor.text
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ConfigEditor))
        saved = path.read_text()
        assert "volume = 70" in saved and "resolve_ahead = 5" in saved


async def test_keep_yours_writes_the_editor_and_take_theirs_loads_the_file(
        tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    async with editing(path) as (app, pilot, editor):
        outside(path, "resolve_ahead = 3", "resolve_ahead = 5")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfigConflict))
        await pilot.press("t")                      # the file's: the edits are dropped
        await until(pilot, lambda: app.screen is editor)
        assert editor.text == path.read_text() and "volume = 100" in editor.text

        area = editor.query_one(CodeEditor)
        row = area.text.splitlines().index("volume = 100")
        area.replace("volume = 80", (row, 0), (row, len("volume = 100")))
        outside(path, "resolve_ahead = 5", "resolve_ahead = 6")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfigConflict))
        await pilot.press("k")                      # yours: over the file's change
        await until(pilot, lambda: not isinstance(app.screen, ConfigEditor))
        saved = path.read_text()
        assert "volume = 80" in saved and "resolve_ahead = 5" in saved


async def test_the_same_line_changed_both_ways_is_marked_and_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    async with editing(path) as (app, pilot, editor):
        outside(path, "volume = 100", "volume = 90")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfigConflict))
        await pilot.press("m")
        await until(pilot, lambda: app.screen is editor and MINE_MARK in editor.text)
        await until(pilot, lambda: bool(editor.issues))   # marks are no TOML
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor and "volume = 90" in path.read_text()


async def test_escape_with_edits_asks_before_it_discards(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    async with editing(path) as (app, pilot, editor):
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DiscardEdits))
        await pilot.press("n")                      # back to the edits, kept
        await until(pilot, lambda: app.screen is editor)
        assert "volume = 70" in editor.text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DiscardEdits))
        await pilot.press("y")
        await until(pilot, lambda: len(app.screen_stack) == 1)
        assert path.read_text() == default_text()


async def test_escape_without_edits_leaves_at_once(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(default_text())
    async with idle_app(demo_items(), config=FileHost(path)).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfigEditor))
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1)
