"""Every text field takes keys typed in one chunk (a fast typist, keys batched over ssh) as
it takes them typed apart: the config editor, the filter, the add, playlist, search and
password dialogs. Each chunk is parsed as Textual's driver parses the terminal's bytes
and every key is queued before the first is handled."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.helpers import typed_at_once, until
from tests.idle_app import FileHost, demo_items, idle_app
from tui.config.defaults import default_text
from tui.demo.catalog import TRACKS
from tui.ui.screens.add import AddScreen
from tui.ui.screens.config_editor import ConfigEditor
from tui.ui.screens.login import LoginScreen
from tui.ui.screens.prompt import PromptScreen
from tui.ui.screens.search import SearchScreen
from tui.ui.widgets.code_editor import CodeEditor
from tui.ui.widgets.filter_bar import FilterBar
from tui.ui.widgets.queue_view import QueueView

BACKSPACE, LEFT, ENTER, ESCAPE = "\x7f", "\x1b[D", "\r", "\x1b"


def _line(area: CodeEditor, start: str) -> str:
    return next(line for line in area.text.splitlines() if line.startswith(start))


async def test_the_config_editor_takes_a_chunk_as_keys_typed_apart(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(default_text().replace("volume = 100", "volume = 70")
                    .replace("gapless = true", "gapless = true # abc"))
    async with idle_app(demo_items(), config=FileHost(path)).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfigEditor))
        area = app.screen.query_one(CodeEditor)

        row = area.text.splitlines().index("gapless = true # abc")
        area.move_cursor((row, len("gapless = true # abc")))
        typed_at_once(app, BACKSPACE * 3 + "xyz")
        await until(pilot, lambda: _line(area, "gapless").endswith("z"))
        assert _line(area, "gapless") == "gapless = true # xyz"  # lost whole, before

        row = area.text.splitlines().index("volume = 70")
        area.move_cursor((row, len("volume = 70")))
        typed_at_once(app, BACKSPACE * 2 + "60")
        await until(pilot, lambda: "6" in _line(area, "volume ="))
        await until(pilot, lambda: _line(area, "volume =").endswith("0"))
        assert _line(area, "volume =") == "volume = 60"

        typed_at_once(app, LEFT * 3 + "X")  # the caret moves, then X goes where it is
        await until(pilot, lambda: "X" in _line(area, "volume ="))
        assert _line(area, "volume =") == "volume =X 60"


async def test_the_filter_takes_a_chunk_and_enter_hands_the_rest_to_the_list() -> None:
    """/ then text with a typo corrected, enter and d, in one chunk: the filter reads what
    was meant, and d removes the one item shown (the keys after enter act on the list)."""
    async with idle_app(demo_items()).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        playback = app.playback
        typed_at_once(app, "/lanternx" + BACKSPACE + "s" + ENTER + "d")
        await until(pilot, lambda: len(playback.queue) == len(TRACKS) - 1)
        assert app.query_one(FilterBar).value == "lanterns"
        assert "Copper Lanterns" not in [it.title for it in playback.queue]
        assert isinstance(app.focused, QueueView)


async def test_escape_in_the_list_clears_the_filter() -> None:
    """After / text enter, escape in the list clears the filter, as the help says."""
    async with idle_app(demo_items()).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        view = app.query_one(QueueView)
        await pilot.press("slash", *"signal", "enter")
        assert isinstance(app.focused, QueueView) and len(view.view) == 2
        await pilot.press("escape")
        assert len(view.view) == len(TRACKS) and app.query_one(FilterBar).value == ""
        assert not app.query_one(FilterBar).display


async def test_the_add_dialog_takes_a_chunk_and_refuses_what_is_no_reference(
        tmp_path: Path) -> None:
    song = tmp_path / "a song.ogg"  # a path with a space: one reference, not two
    song.write_bytes(b"")
    async with idle_app([]).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        playback = app.playback
        typed_at_once(app, "anot a url at all" + ENTER)
        await until(pilot, lambda: isinstance(app.screen, AddScreen) and "is not a URL" in str(
            app.screen.query_one("#add-hint").render()))
        dialog = app.screen
        assert len(playback.queue) == 0 and dialog.query_one(Input).value == "not a url at all"
        assert "'not'" in str(dialog.query_one("#add-hint").render())

        dialog.query_one(Input).value = ""
        typed_at_once(app, f"{song}x" + BACKSPACE + ENTER)
        await until(pilot, lambda: len(playback.queue) == 1)
        assert playback.queue[0].ref == str(song) and len(app.screen_stack) == 1


async def test_text_the_add_dialog_refuses_can_be_searched_for() -> None:
    async with idle_app([]).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        typed_at_once(app, "apaper kites" + ENTER)
        await until(pilot, lambda: isinstance(app.screen, AddScreen)
                    and "refused" in app.screen.query_one("#add-hint").classes)
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert app.screen.query_one(Input).value == "paper kites"


async def test_the_playlist_prompt_takes_a_chunk(tmp_path: Path) -> None:
    from tui.session.store import Playlists

    app = idle_app(demo_items())
    lists = app.playback.edits.playlists = Playlists(tmp_path / "playlists")
    async with app.run_test(size=(120, 36)) as pilot:
        typed_at_once(app, "wmiz" + BACKSPACE + "x" + ENTER)
        await until(pilot, lambda: lists.names() == ["mix"])
        await until(pilot, lambda: not isinstance(app.screen, PromptScreen))


async def test_the_search_field_takes_a_chunk() -> None:
    async with idle_app(demo_items()).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        typed_at_once(app, "fabbx" + BACKSPACE + "a" + LEFT + LEFT + "-")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen)
                    and "-" in app.screen.query_one(Input).value)
        assert app.screen.query_one(Input).value == "ab-ba"


async def test_the_password_field_takes_a_chunk() -> None:
    async with idle_app(demo_items()).run_test(size=(120, 36)) as pilot:
        app = pilot.app
        answer = app.run_worker(app.ask_password("home", "ann"))
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        typed_at_once(app, "secrex" + BACKSPACE + "t" + ENTER)
        assert await answer.wait() == "secret"
