"""`[keys]` and `[ui] theme` checked against the app and Textual, by `ytplay config check`,
at start and at live reload, each error at its line; and the keys shown (help, palette,
footer) are the keys bound once `[keys]` moves them."""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.widgets import DataTable

from tests.helpers import config_watched, until
from tests.idle_app import FileHost, demo_items, idle_app
from tui.config.defaults import default_text
from tui.config.keymap import canonical
from tui.config.validate import validate_text
from tui.ui.app import YtplayApp
from tui.ui.keys_doc import UI_NAMES, ui_names_source
from tui.ui.screens.help import HelpScreen
from tui.ui.widgets.event_log import EventLog

ROOT = Path(__file__).resolve().parents[1]


def with_keys(entries: str, theme: str = "textual-dark") -> str:
    """The default config with `entries` under [keys] (its first line is [keys]'s + 1)."""
    return default_text().replace('theme = "textual-dark"', f'theme = "{theme}"') \
        .replace("[keys]\n", f"[keys]\n{entries}\n")


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_the_names_the_config_checks_against_are_the_apps_and_textuals() -> None:
    """tui/config/ui_names.py is what the bindings and Textual say now: an action, a
    default key or a theme changed without regenerating it fails here."""
    assert UI_NAMES.read_text("utf-8") == ui_names_source(), \
        "tui/config/ui_names.py is out of date: run python -m tui.ui.keys_doc"


@pytest.mark.parametrize("char", [*string.punctuation.replace(",", ""), *"aZ7§é€"])
def test_a_character_is_named_as_textuals_bindings_name_it(char: str) -> None:
    assert canonical(char) == next(iter(Binding.make_bindings([Binding(char, "x")]))).key


BAD = [
    ("not a key", 'next = "notakey"', "keys.next", "not a key Textual knows"),
    ("a key taken from an action not moved", 'next = "q"', "keys.next",
     "'q' is the key of quit on the main screen, which would lose it"),
    ("the queue's key taken by the app's", 'next = "d"', "keys.next", "the key of remove"),
    ("the list's enter", 'next = "enter"', "keys.next", "play_selected"),
    ("in the filter", 'leave_filter = "escape"', "keys.leave_filter", "on the filter"),
    ("no such action", 'nextt = "x"', "keys.nextt", "no action 'nextt' (did you mean 'next'?)"),
    ("Textual's own", 'next = "ctrl+p"', "keys.next", "Textual's own key"),
    ("modifiers out of order", 'next = "shift+ctrl+n"', "keys.next", "'ctrl+shift+n'"),
    ("upper case after a modifier", 'next = "ctrl+N"', "keys.next", "'ctrl+shift+n'"),
    ("shift with a letter", 'next = "shift+x"', "keys.next", "('X')"),
    ("a character after a modifier", 'next = "ctrl+?"', "keys.next", "'ctrl+question_mark'"),
    ("an unknown modifier", 'next = "cmd+n"', "keys.next", "'cmd' is not a modifier"),
    ("a name in capitals", 'next = "Enter"', "keys.next", "did you mean 'enter'?"),
    ("empty", 'next = ""', "keys.next", "no key"),
    ("an empty key in a list", 'next = "n,"', "keys.next", "'comma'"),
]


@pytest.mark.parametrize("kind, entry, path, words", BAD, ids=[b[0] for b in BAD])
def test_a_bad_keys_entry_is_an_error_at_its_line(kind: str, entry: str, path: str,
                                                  words: str) -> None:
    text = with_keys(entry)
    config, issues = validate_text(text)
    assert config is None
    assert [(i.line, i.path) for i in issues] == [(line_of(text, entry), path)], issues
    assert words in issues[0].message


def test_two_entries_on_one_key_are_both_errors() -> None:
    text = with_keys('next = "x"\nprevious = "x"')
    _, issues = validate_text(text)
    assert [(i.line, i.path) for i in issues] == [(line_of(text, "next ="), "keys.next"),
                                                  (line_of(text, "previous ="), "keys.previous")]
    assert all("'x' is also given to" in i.message for i in issues)


GOOD = ['next = "x"', 'next = "n,ctrl+right"', 'next = "q"\nquit = "ctrl+x"',
        'next = "p"\nprevious = "n"', 'help = "?"', 'next = "."', 'next = "full_stop"',
        'next = "§"', 'next = "alt+shift+x"', 'next = "ctrl+shift+right"', 'next = "f5"',
        'next = " x , y "', 'leave_filter = "tab"', 'play_selected = "space"\nplay_pause = "P"']


@pytest.mark.parametrize("entry", GOOD)
def test_keys_textual_matches_and_no_two_actions_share_are_accepted(entry: str) -> None:
    config, issues = validate_text(with_keys(entry))
    assert issues == [] and config is not None


def test_a_theme_textual_does_not_have_is_an_error_at_its_line() -> None:
    text = with_keys("", theme="nope-theme")
    _, issues = validate_text(text)
    assert [(i.line, i.path) for i in issues] == [(line_of(text, "theme ="), "ui.theme")]
    assert "not a Textual theme" in issues[0].message and "nord" in issues[0].message
    _, issues = validate_text(with_keys("", theme="gruvbx"))
    assert "did you mean 'gruvbox'?" in issues[0].message
    assert validate_text(with_keys("", theme="nord"))[1] == []


def _ytplay(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "YTPLAY_CONFIG": str(config)})


def test_config_check_and_start_refuse_what_cannot_work(tmp_path: Path) -> None:
    """What a person tried, that `ytplay config check` called ok: each said at its line,
    exit 1; ytplay itself will not start with it (exit 2, the same lines)."""
    path = tmp_path / "config.toml"
    text = with_keys('next = "notakey"\nprevious = "q"\nnextt = "x"', theme="nope-theme")
    path.write_text(text)
    check = _ytplay("config", "check", config=path)
    assert check.returncode == 1, check.stdout
    for start, key in (("theme =", "ui.theme"), ("next =", "keys.next"),
                       ("previous =", "keys.previous"), ("nextt =", "keys.nextt")):
        assert f"{path}:{line_of(text, start)}: {key}: " in check.stderr, check.stderr
    start = _ytplay("--demo", config=path)
    assert start.returncode == 2
    assert f"{path}:{line_of(text, 'previous =')}: keys.previous: " in start.stderr
    assert path.read_text() == text


def _help_rows(app: YtplayApp) -> dict[str, str]:
    """The help screen's table: action -> key."""
    table = app.screen.query_one("#help-keys", DataTable)
    rows: dict[str, str] = {}
    for i in range(table.row_count):
        cells = table.get_row_at(i)
        rows.update({action: key for key, action in zip(cells[::2], cells[1::2]) if action})
    return rows


def _footer(app: YtplayApp) -> dict[str, str]:
    return {k.description: k.key for k in app.screen.query("FooterKey")}  # type: ignore[attr-defined]


def _palette(app: YtplayApp) -> dict[str, str]:
    return {c.title: c.help for c in app.get_system_commands(app.screen)}


async def test_help_palette_and_footer_show_the_keys_bound(tmp_path: Path) -> None:
    """With next = "x" the help, the palette and the footer say x; moved again while
    ytplay runs, they say the new key; one refused keeps them as they were, and says why
    in Events at its line."""
    path = tmp_path / "config.toml"
    path.write_text(with_keys('next = "x"\nhelp = "full_stop"'))
    app = idle_app(demo_items(), config=FileHost(path))
    async with app.run_test(size=(120, 36), message_hook=(seen := []).append) as pilot:
        await until(pilot, lambda: "Next" in _footer(app) and config_watched(app))
        assert _footer(app)["Next"] == "x" and _footer(app)["Help"] == "full_stop"
        assert _palette(app)["Next"] == "key: x"
        await pilot.press("full_stop")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert _help_rows(app)["Next"] == "x" and _help_rows(app)["Help"] == "."
        assert _help_rows(app)["Previous"] == "p"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))

        path.write_text(with_keys('next = "y,ctrl+right"'))  # as an editor outside would
        await until(pilot, lambda: _footer(app).get("Next") == "y", 5)
        assert _palette(app)["Next"] == "key: y / ctrl+right"
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert _help_rows(app)["Next"] == "y / ctrl+right"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))

        refused = with_keys('next = "y,ctrl+right"\nprevious = "q"')
        path.write_text(refused)
        await until(pilot, lambda: any(isinstance(m, YtplayApp.ConfigRejected) for m in seen))
        log = "".join(line.text for line in app.query_one(EventLog).lines)  # unwrapped
        assert f"{path}:{line_of(refused, 'previous =')}: keys.previous: 'q' is the key of " \
               "quit" in log
        assert _footer(app)["Next"] == "y" and _footer(app)["Quit"] == "q"
