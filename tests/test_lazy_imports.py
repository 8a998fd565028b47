"""Start-up loads what the first frame needs and no more (issue 11, "Start at once"): yt-dlp,
the HTTP server stack, D-Bus, libmpv and tree-sitter are loaded where they are first used.
What is imported, not how fast: the timing is `make bench ARGS=first-paint`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


LAZY = ("yt_dlp", "aiohttp", "dbus_fast")

BUILD = """
import sys
from contextlib import ExitStack
from pathlib import Path

from tui import cli
from tui.factory import build
from tui.runtime_config import load_config

args = cli.parser().parse_args(["--demo", "--demo-port", "0", "--ao", "null"])
path = Path(sys.argv[1])
with ExitStack() as resources:
    build(args, load_config(path), path, resources)
    print(",".join(m for m in sys.argv[2:] if m in sys.modules))
"""


def _folders(tmp: Path) -> dict[str, str]:
    """ytplay's folders (config, queue, cache, logs), all under `tmp`."""
    return {f"XDG_{n}_HOME": str(tmp / n.lower()) for n in ("CONFIG", "STATE", "DATA", "CACHE")}


def _loaded(code: list[str], modules: tuple[str, ...], tmp: Path) -> set[str]:
    """Which of `modules` a fresh interpreter has imported after running `code`."""
    env = {**os.environ, **_folders(tmp)}
    r = subprocess.run([sys.executable, *code, *modules], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    last = (r.stdout.strip().splitlines() or [""])[-1]
    return set(filter(None, last.split(",")))


def test_importing_the_composition_root_loads_no_heavy_library(tmp_path: Path) -> None:
    code = ["-c", "import sys, tui.factory; "
            "print(','.join(m for m in sys.argv[1:] if m in sys.modules))"]
    assert _loaded(code, LAZY, tmp_path) == set()


def test_building_the_demo_loads_none_of_them_before_the_app_runs(tmp_path: Path) -> None:
    """The demo service listens, but its server stack loads on the first request; MPRIS
    and libmpv start after the first frame; yt-dlp loads on the first resolve."""
    code = ["-c", BUILD, str(tmp_path / "config.toml")]
    assert _loaded(code, (*LAZY, "mpv"), tmp_path) == set()


FIRST_FRAME = """
import asyncio
import sys
from contextlib import ExitStack
from pathlib import Path

from textual.app import App

from tui import cli
from tui.factory import build
from tui.runtime_config import load_config

first: list[str] = []
display = App._display

def first_frame(self, *args, **kwargs):  # what is loaded when the first frame is drawn
    if not first:
        first.append(",".join(m for m in sys.argv[2:] if m in sys.modules))
    return display(self, *args, **kwargs)
App._display = first_frame

async def run(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()

args = cli.parser().parse_args(["--demo", "--demo-port", "0", "--ao", "null"])
path = Path(sys.argv[1])
with ExitStack() as resources:
    asyncio.run(run(build(args, load_config(path), path, resources)))
print(first[0])
"""


def test_the_first_frame_is_drawn_before_any_of_them_loads(tmp_path: Path) -> None:
    """Through the app's own start (on_mount, its workers): the config file's watcher
    (asyncinotify; watchfiles elsewhere) starts after the first frame, with MPRIS, libmpv and the first
    item's open; httpx is loaded with the first request the session makes."""
    code = ["-c", FIRST_FRAME, str(tmp_path / "config.toml")]
    assert _loaded(code, (*LAZY, "mpv", "watchfiles", "anyio", "asyncinotify", "httpx"),
                   tmp_path) == set()


def test_a_missing_libmpv_is_still_said_before_the_ui(tmp_path: Path) -> None:
    code = ("import ctypes.util, sys\n"
            "ctypes.util.find_library = lambda name: None  # as on a system without libmpv\n"
            "from tui.__main__ import main\n"
            "sys.exit(main(['--demo', '--demo-port', '0', '--ao', 'null']))\n")
    env = {**os.environ, **_folders(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "ytplay needs libmpv" in r.stderr and "sudo apt install libmpv2" in r.stderr


def test_tree_sitter_loads_when_the_config_editor_opens(tmp_path: Path) -> None:
    code = ["-c", "import sys, tui.factory; "
            "print(','.join(m for m in sys.argv[1:] if m in sys.modules))"]
    assert _loaded(code, ("tree_sitter",), tmp_path) == set()


BEFORE_THE_APP = """
import sys
from textual.app import App

def run(self, *args, **kwargs):  # where the app would take the terminal: what is loaded
    print("LOADED:" + ",".join(m for m in sys.argv[1:] if m in sys.modules) + ":END")
App.run = run
from tui.__main__ import main
main(["--demo", "--demo-port", "0", "--ao", "null"])
"""


def _loaded_in_a_terminal(cols: int, modules: tuple[str, ...], tmp: Path) -> set[str]:
    """Which of `modules` real `ytplay --demo` has loaded when its app would start, run in
    a pseudo-terminal `cols` wide (the terminal-graphics probe runs only on a terminal)."""
    from tests.pty_terminal import Terminal

    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": "24",
           **_folders(tmp)}
    env.pop("YTPLAY_CONFIG", None)
    term = Terminal([sys.executable, "-c", BEFORE_THE_APP, *modules], env, cols=cols, rows=24)
    try:
        term.wait_for(lambda s: ":END" in s.replace("\n", ""), timeout=60)
    finally:
        term.close()
    line = term.text().replace("\n", "").split("LOADED:", 1)[1].split(":END", 1)[0]
    return set(filter(None, line.strip().split(",")))


def test_textual_image_loads_after_the_first_frame_and_narrow_terminals_are_not_asked(
        tmp_path: Path) -> None:
    """The first frame has no cover: textual-image and Pillow load after it (on start-up's
    second half). From 100 columns, where a cover shows, the terminal is asked what it draws
    before the app runs, as it must be (once the app runs, the answers would go to Textual);
    at 80 columns it is not asked at all."""
    watched = ("textual_image", "PIL", "tui.ui.terminal_query")
    assert _loaded_in_a_terminal(80, watched, tmp_path / "80") == set()
    assert _loaded_in_a_terminal(120, watched, tmp_path / "120") == {"tui.ui.terminal_query"}


def test_on_a_terminal_neither_the_session_nor_the_schemas_load_before_the_app(
        tmp_path: Path) -> None:
    """Start-up's first half (tui/first_frame.py) reads what the first frame shows and no
    more: the config's schema and its validation, the session and the composition root
    wait for the second half."""
    heavy = ("tui.config.schema", "tui.config.validate", "tui.session.streams._manager",
             "tui.factory")
    assert _loaded_in_a_terminal(80, heavy, tmp_path) == set()


def test_httpx_comes_without_its_command_line_client(tmp_path: Path) -> None:
    """httpx loads its own CLI (click, pygments) when click is installed, as in this
    virtualenv (import-linter needs it); ytplay never runs it."""
    code = ["-c", "import sys, tui, httpx; httpx.AsyncClient; "
            "print(','.join(m for m in sys.argv[1:] if m in sys.modules))"]
    assert _loaded(code, ("click", "pygments"), tmp_path) == set()


def test_the_event_log_brings_neither_rich_pretty_nor_attrs(tmp_path: Path) -> None:
    """RichLog would load both into every ytplay (0.9 MiB) for lines that are only text."""
    code = ["-c", "import sys, tui.ui.app, tui.ui.widgets.logs_pane, tui.ui.widgets.event_log; "
            "print(','.join(m for m in sys.argv[1:] if m in sys.modules))"]
    assert _loaded(code, ("rich.pretty", "attr"), tmp_path) == set()
