"""The config inside the running app: the editor, and live reload from outside."""

from __future__ import annotations

from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from textual.message import Message
from textual.widgets import TextArea

from tests.helpers import until
from tui import cli
from tui.config.defaults import default_text
from tui.factory import build
from tui.runtime_config import load_config
from tui.ui.app import YtplayApp
from tui.ui.screens.config_editor import ConfigEditor
from tui.ui.screens.discard_edits import DiscardEdits


@asynccontextmanager
async def real_app(path: Path) -> AsyncIterator[tuple[YtplayApp, object, list[Message]]]:
    args = cli.parser().parse_args(["--demo", "--demo-port", "0", "--ao", "null"])
    seen: list[Message] = []
    with ExitStack() as resources:
        app = build(args, load_config(path), path, resources)
        async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
            yield app, pilot, seen


async def test_edit_a_value_in_the_app_and_save(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    async with real_app(path) as (app, pilot, seen):
        original = path.read_text()
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfigEditor))
        editor = app.screen
        area = editor.query_one(TextArea)
        row = area.text.splitlines().index("attempts = 4")
        area.move_cursor((row, len("attempts = ")))
        await pilot.press("delete", "9", "9")               # attempts = 99: out of range
        await until(pilot, lambda: any(i.path == "retry.attempts" for i in editor.issues))
        assert editor.issues[0].line == row + 1
        assert f"line {row + 1}" in str(editor.query_one("#config-errors").render())
        await pilot.press("ctrl+s")                         # refused while invalid
        await pilot.pause()
        assert app.screen is editor and path.read_text() == original
        await pilot.press("backspace", "backspace", "6")
        await until(pilot, lambda: not editor.issues)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ConfigEditor))
        await until(pilot, lambda: app.playback.session.policy.attempts == 6)
        assert path.read_text() == original.replace("attempts = 4", "attempts = 6")
        assert (tmp_path / "config.toml.bak").read_text() == original


async def test_the_arrows_move_the_caret_in_the_editor_and_keys_are_text(
        tmp_path: Path) -> None:
    """In the config editor ←/→ move the caret (they seek everywhere else), and the app's
    keys are text (n is not Next, q does not quit)."""
    path = tmp_path / "config.toml"
    async with real_app(path) as (app, pilot, seen):
        await until(pilot, lambda: app.playback.now.index == 0)  # the demo plays its first
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfigEditor))
        area = app.screen.query_one(TextArea)
        area.move_cursor((0, 0))
        await pilot.press("right", "right", "n", "q")
        await pilot.pause()
        assert area.cursor_location == (0, 4)
        assert area.text.splitlines()[0][2:4] == "nq"
        assert isinstance(app.screen, ConfigEditor) and app.playback.now.index == 0


async def test_cancel_discards(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    async with real_app(path) as (app, pilot, seen):
        original = path.read_text()
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfigEditor))
        app.screen.query_one(TextArea).insert("# scribble\n", (0, 0))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DiscardEdits))  # it asks first
        await pilot.press("y")
        await until(pilot, lambda: len(app.screen_stack) == 1)
        assert path.read_text() == original


async def test_outside_edits_apply_within_two_seconds(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    async with real_app(path) as (app, pilot, seen):
        pb = app.playback
        await until(pilot, lambda: pb.now.index == 0 and pb.now.state.value == "playing", 20)
        text = default_text().replace("attempts = 4", "attempts = 7") \
            .replace("[keys]\n", '[keys]\nnext = "x"\n')
        path.write_text(text)  # as an editor outside ytplay would
        took = await until(pilot, lambda: any(isinstance(m, YtplayApp.ConfigApplied)
                                              for m in seen), timeout=2.0)
        assert took < 2.0
        assert pb.session.policy.attempts == 7
        await pilot.press("x")
        await until(pilot, lambda: pb.now.index == 1, 10)

        before = pb.session.policy
        path.write_text(text.replace("attempts = 7", "attempts = lots"))
        await until(pilot, lambda: any(isinstance(m, YtplayApp.ConfigRejected) for m in seen))
        assert pb.session.policy is before  # the running config is kept

        seen.clear()
        path.write_bytes(b"[retry]\nattempts = 3 # caf\xe9\n")  # Latin-1, not UTF-8
        await until(pilot, lambda: any(isinstance(m, YtplayApp.ConfigRejected) for m in seen))
        assert pb.session.policy is before and app.is_running


async def test_a_remapped_key_acts(tmp_path: Path) -> None:
    """(An entry that cannot work is an error at its line: tests/test_config_keys.py.)"""
    path = tmp_path / "config.toml"
    path.write_text(default_text().replace("[keys]\n", '[keys]\nnext = "ctrl+n"\n'))
    async with real_app(path) as (app, pilot, seen):
        pb = app.playback
        await until(pilot, lambda: pb.now.state.value == "playing", 20)
        await pilot.press("ctrl+n")                       # the remapped key works
        await until(pilot, lambda: pb.now.index != 0, 10)
        assert pb.now.index == 1 and pb.now.state.value == "playing"
