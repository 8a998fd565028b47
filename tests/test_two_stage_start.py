"""Start-up in two halves (issue 11, "Start at once"; tui/ui/starting.py): the first frame is
drawn from the saved queue before the session exists; the session (real libmpv, real
yt-dlp, the demo's pages) is built on a thread after it; keys pressed meanwhile are applied,
in order, once it is there. The second half here waits for the test to release it, as a
slow machine would make it wait."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import pytest
from textual.pilot import Pilot
from textual.widget import Widget

from tests.helpers import until
from tests.pty_terminal import run_on_a_terminal
from tui import cli
from tui.config.paths import queue_file
from tui.core.models import ItemStatus, QueueItem
from tui.core.nowplaying import PlayState
from tui.core.queue import Queue
from tui.demo.catalog import TRACKS
from tui.demo.service import DemoService
from tui.first_frame import begin
from tui.runtime_config import load_config
from tui.session.store import QueueStore
from tui.ui.app import YtplayApp
from tui.ui.starting import CannotStart, FirstFrame, Looks, Started
from tui.ui.widgets.now_playing import NowPlayingPanel
from tui.ui.widgets.session_panel import SessionPanel


def _saved_queue(demo: DemoService, current: int, position: float) -> None:
    items = [QueueItem(ref=demo.watch_url(t.id), title=t.title, artist=t.artist,
                       duration=float(t.seconds)) for t in TRACKS[:4]]
    QueueStore(queue_file()).save(Queue(items, current), position)


@asynccontextmanager
async def _on_its_first_frame(argv: list[str], path: Path, demo: DemoService | None = None,
                              size: tuple[int, int] = (120, 36)
                              ) -> AsyncIterator[tuple[YtplayApp, Pilot, threading.Event]]:
    """ytplay's app for `argv` on its first frame, its second half held until the event is
    set."""
    from tui.factory import build_rest

    config = load_config(path)
    args = cli.parser().parse_args(argv)
    release = threading.Event()
    with ExitStack() as resources:
        begun = begin(args, Looks.of(config), resources, demo)

        def second_half() -> Started:
            release.wait(60)
            return build_rest(begun, args, config, path, resources, lambda: app)
        app = YtplayApp.starting(begun.frame, second_half)
        try:
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                yield app, pilot, release
        finally:
            release.set()
            app.join_start_up()


@pytest.mark.timeout(120)
async def test_keys_pressed_before_the_session_exists_apply_in_order(
        demo: DemoService, tmp_path: Path) -> None:
    _saved_queue(demo, current=1, position=42.0)
    path = tmp_path / "config.toml"
    async with _on_its_first_frame(["--ao", "null"], path) as (app, pilot, release):
        # The first frame: what space resumes, and where, with no session yet.
        now = app.query_one(NowPlayingPanel).now
        assert app.playback is None
        assert (now.index, now.title, now.state) == (1, TRACKS[1].title, PlayState.IDLE)
        assert "space resumes at 0:42" in now.status
        assert app.query_one(SessionPanel).row_count == 0
        # n n p: item 2, as if each had applied at once; S hides the session panel now
        # (it needs no session) and is remembered in the config once there is one.
        for key in ("n", "n", "p", "S"):
            await pilot.press(key)
        assert not app.query_one(SessionPanel).display
        assert app.query_one(NowPlayingPanel).now.index == 1  # nothing moved yet
        release.set()
        await until(pilot, lambda: app.playback is not None
                    and app.playback.now.state is PlayState.PLAYING, 60)
        assert app.playback is not None
        assert app.playback.now.index == 2 and app.playback.now.title == TRACKS[2].title
        assert not [it for it in app.playback.queue if it.status is ItemStatus.FAILED]
        # The defaults already name the panels: what is awaited is the choice written.
        await until(pilot, lambda: load_config(path).ui.panels == ["events", "retries"], 10)
        assert not app.query_one(SessionPanel).display


@pytest.mark.timeout(120)
@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_the_event_log_comes_after_the_first_frame_where_its_box_stood(
        demo: DemoService, tmp_path: Path, size: tuple[int, int]) -> None:
    """On the first frame an empty box titled Events stands where the event log will be
    (a RichLog costs ~18 ms to load and draw); the log takes its place once the session is
    there, placed alike in the logs' pane (which the session panel's rows may have made
    smaller), with what was noted before it came."""
    from tui.core.events import Level
    from tui.ui.widgets.event_log import EventLog
    from tui.ui.widgets.logs_pane import EventLogToCome, LogsPane

    def placed(widget: Widget) -> tuple[int, int, int, int]:
        """Where `widget` is in the logs' pane: its left, width, and its distances from the
        pane's top and bottom."""
        pane = app.query_one(LogsPane).region
        return (widget.region.x - pane.x, widget.region.width, widget.region.y - pane.y,
                pane.bottom - widget.region.bottom)

    async with _on_its_first_frame(["--ao", "null", "--demo"], tmp_path / "config.toml",
                                   demo, size) as (app, pilot, release):
        # The session panel off (S works on the first frame): the rows it gets as the demo
        # starts would shrink the pane, and the two logs share it half and half, at any time
        # between the two looks (on a busy machine, before the second).
        await pilot.press("S")
        await pilot.pause()
        box = app.query_one(EventLogToCome)
        where, title, looks = placed(box), box.border_title, (box.styles.border,
                                                              box.styles.height)
        assert not app.query(EventLog) and box.region.area > 0 and title == "Events"
        app.view.note(Level.WARNING, "noted on the first frame")
        release.set()
        await until(pilot, lambda: bool(app.query(EventLog)), 60)
        await pilot.pause()
        log = app.query_one(EventLog)
        assert not app.query(EventLogToCome)
        assert (placed(log), log.border_title) == (where, title)
        assert (log.styles.border, log.styles.height) == looks
        assert any("noted on the first frame" in line.text for line in log.lines)


@pytest.mark.timeout(120)
async def test_queue_edits_pressed_before_the_session_exists_act_on_what_they_select(
        demo: DemoService, tmp_path: Path) -> None:
    """A queue edit kept for the session is made on the item selected once the edits kept
    before it are made: j j K d on the first frame moves the third item up and removes it
    (with the index as pressed, d removed the item K had moved down into that place)."""
    _saved_queue(demo, current=0, position=0.0)
    async with _on_its_first_frame(["--ao", "null"], tmp_path / "config.toml") as (
            app, pilot, release):
        await pilot.press("j", "j", "K", "d")
        release.set()
        await until(pilot, lambda: app.playback is not None
                    and len(app.playback.queue) == 3, 60)
        assert [i.title for i in app.playback.queue] == [
            TRACKS[0].title, TRACKS[1].title, TRACKS[3].title]


@pytest.mark.timeout(120)
async def test_keys_pressed_before_the_demo_plays_are_not_undone_by_its_start(
        demo: DemoService, tmp_path: Path) -> None:
    """The demo (and `ytplay URL`) plays an item once the app is up: n n pressed on the
    first frame are the person's choice, and the play at start must not take it back."""
    from tui.ui.starting import frames_drawn

    async with _on_its_first_frame(["--ao", "null", "--demo"], tmp_path / "config.toml",
                                   demo) as (app, pilot, release):
        await pilot.press("n", "n")
        release.set()
        await until(pilot, lambda: app.playback is not None
                    and app.playback.now.state is PlayState.PLAYING, 60)
        await frames_drawn(app, 3)  # the play at start waits two frames after the app
        assert app.playback is not None
        # n from no current item plays the first, the second n the next: item 1.
        assert app.playback.now.index == 1 and app.playback.now.title == TRACKS[1].title


@pytest.mark.timeout(120)
async def test_text_typed_into_the_filter_or_the_add_dialog_on_the_first_frame_is_text(
        demo: DemoService, tmp_path: Path) -> None:
    """/ and a need no session: they open at once, and what is typed after them goes into
    them, instead of waiting and letting the letters act as keys (l switched the log tab,
    o and w opened the playlist dialogs once the session was there)."""
    from tui.ui.widgets.filter_bar import FilterBar

    async with _on_its_first_frame(["--ao", "null", "--demo"], tmp_path / "config.toml",
                                   demo) as (app, pilot, release):
        await pilot.press("slash", "l", "o", "w", "enter")
        assert app.query_one(FilterBar).value == "low"
        shown = len(app.queue)
        await pilot.press("a", *"demo:t2", "enter")  # d would remove, p go back …
        release.set()
        await until(pilot, lambda: app.playback is not None
                    and len(app.playback.queue) == shown + 1, 60)
        assert app.playback is not None and app.playback.queue[-1].ref == "demo:t2"
        assert len(app.screen_stack) == 1 and app.query_one(FilterBar).value == "low"


async def test_what_the_second_half_cannot_start_ends_ytplay_with_its_reason() -> None:
    def second_half() -> Started:
        raise CannotStart("the config file has errors: fix them with `ytplay config edit`")
    app = YtplayApp.starting(FirstFrame(Queue(), resting_now()), second_half)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.return_code is not None, 10)
    app.join_start_up()
    assert app.return_code == 2


def resting_now():  # the first frame of an empty queue
    from tui.core.nowplaying import resting

    return resting(Queue(), 0.0)


FIRST_FRAME_OF_YTPLAY = """
import sys
import textual.app
from textual.app import App
from tui.ui.app import YtplayApp

run = App.run
App.run = lambda self, **kw: run(self, headless=True, **kw)
display = App._display
first: list[str] = []

def first_frame(self, *args, **kwargs):  # what is loaded when the first frame is drawn
    if not first:
        first.append(",".join(m for m in sys.argv[1:] if m in sys.modules))
        print("FIRST:" + first[0], flush=True)
    return display(self, *args, **kwargs)
App._display = first_frame

attach = YtplayApp._attach
def attached(self):  # the second half is there: what is loaded now, then quit
    attach(self)
    print("STARTED:" + ",".join(m for m in sys.argv[1:] if m in sys.modules), flush=True)
    self.exit()
YtplayApp._attach = attached

from tui.__main__ import main
sys.exit(main(["--ao", "null"]))
"""


def test_ytplay_draws_its_first_frame_before_it_loads_the_session(tmp_path: Path) -> None:
    """Through `ytplay`'s own start: nothing of the session, the player, yt-dlp, the HTTP
    stacks or the config's validation is loaded when the first frame is drawn; all of it is
    once the second half is done."""
    heavy = ("tui.factory", "tui.session.streams._manager", "tui.session.playback._playback",
             "yt_dlp", "mpv", "httpx", "aiohttp", "watchfiles")
    env = {**os.environ, **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
                            for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    r = run_on_a_terminal([sys.executable, "-c", FIRST_FRAME_OF_YTPLAY, *heavy], env)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = dict(line.split(":", 1) for line in r.stdout.splitlines()
                 if line.startswith(("FIRST:", "STARTED:")))
    assert set(filter(None, lines["FIRST"].split(","))) == set()
    assert {"tui.factory", "tui.session.streams._manager",
            "tui.session.playback._playback"} <= set(lines["STARTED"].split(","))


QUIT_WHILE_BUILDING = """
import sys
import textual.app
from textual.app import App
import tui.factory

run = App.run
App.run = lambda self, **kw: run(self, headless=True, **kw)
build_rest = tui.factory.build_rest

def quit_first(begun, args, config, path, resources, the_app):
    # q pressed while the second half builds: the app ends before it is done.
    the_app().call_from_thread(the_app().exit)
    started = build_rest(begun, args, config, path, resources, the_app)
    resources.callback(print, "CLOSED", flush=True)  # runs once what it built is closed
    return started
tui.factory.build_rest = quit_first

from tui.__main__ import main
sys.exit(main(["--ao", "null", "--demo", "--demo-port", "0"]))
"""


def test_quitting_before_the_second_half_is_done_closes_what_it_built(tmp_path: Path) -> None:
    """The app ends while start-up's second half is still building: ytplay waits for it
    and closes what it built with the rest (the demo service, the player), then ends with
    status 0 and no traceback."""
    env = {**os.environ, **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
                            for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    r = run_on_a_terminal([sys.executable, "-c", QUIT_WHILE_BUILDING], env)
    assert r.returncode == 0 and "Traceback" not in r.stdout + r.stderr, r.stderr[-2000:]
    assert "CLOSED" in r.stdout


def test_on_a_terminal_a_wrong_config_ends_ytplay_after_its_first_frame(tmp_path: Path) -> None:
    """On a terminal the config's schema is checked in start-up's second half: the first
    frame shows, then ytplay ends with status 2, the terminal given back, and the reason
    and the fix on it; the file is untouched."""
    from tests.pty_terminal import Terminal

    path = tmp_path / "config.toml"
    path.write_text("[playback]\nvolume = 300\n")
    env = {**os.environ, "TERM": "xterm-256color",
           **{f"XDG_{n}_HOME": str(tmp_path / n.lower()) for n in ("STATE", "DATA", "CACHE")}}
    term = Terminal([sys.executable, "-m", "tui", "--config", str(path), "--ao", "null"], env,
                    cols=100, rows=30)
    try:
        term.wait_for(lambda s: "Now Playing" in s, timeout=20)
        said = term.read_to_end(timeout=30).decode(errors="replace")
        assert term.proc.wait(timeout=10) == 2
        after = " ".join(said.rsplit("\x1b[?1049l", 1)[1].split())  # once the screen is given back
        assert f"{path}:2: playback.volume" in after and "ytplay config edit" in after
        assert "Traceback" not in said
    finally:
        term.close()
    assert path.read_text() == "[playback]\nvolume = 300\n"


@pytest.mark.parametrize("text", [
    None,  # the first run: no file yet
    "",
    '[ui]\ntheme = "nord"\npanels = ["retries"]\ncover = "off"\n[keys]\nnext = "x"\n'
    '[log]\nlevel = "debug"\nfile = "/tmp/ytplay-test.log"\n',
])
def test_the_first_frame_reads_the_config_as_its_schema_does(tmp_path: Path,
                                                             text: str | None) -> None:
    """What the first frame reads of the config without its schema is what the schema
    makes of the same file, defaults included."""
    from tui.config.defaults import default_text
    from tui.first_frame import Settings

    path = tmp_path / "config.toml"
    path.write_text(default_text() if text is None else text)
    assert Settings.read(path) == Settings.of(load_config(path))


def test_what_the_first_frame_cannot_read_of_the_config_is_the_default(tmp_path: Path) -> None:
    from tui.first_frame import Settings

    path = tmp_path / "config.toml"
    path.write_text('[ui]\npanels = ["nope"]\ntheme = 3\ncover = "sometimes"\n'
                    '[log]\nlevel = "loud"\n[keys]\nnext = 7\n')
    assert Settings.read(path) == Settings()
    path.write_bytes(b"\xff\xfe not text")
    assert Settings.read(path) == Settings()


@pytest.mark.parametrize("option", [["--playlist", "nope"], ["--import", "/no/such/list.m3u"]])
def test_a_playlist_on_the_command_line_that_cannot_be_read_is_said_before_the_screen(
        tmp_path: Path, option: list[str]) -> None:
    """Read in start-up's first half: the reason alone on stderr, before any screen."""
    env = {**os.environ, **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
                            for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    r = subprocess.run([sys.executable, "-m", "tui", "--ao", "null", *option],
                       capture_output=True, text=True, timeout=60, env=env,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.startswith("ytplay: ") and len(r.stderr.strip().splitlines()) == 1
    assert option[1].split("/")[-1] in r.stderr and "\x1b" not in r.stderr + r.stdout


CTRL_C_AT = """
import signal
import sys
import {module} as where
from tui.__main__ import main

def pressed(*args, **kwargs):  # Ctrl-C pressed while ytplay starts, before the app runs
    signal.raise_signal(signal.SIGINT)
setattr(where, "{name}", pressed)
sys.exit(main(["--ao", "null", "--demo", "--demo-port", "0"]))
"""


@pytest.mark.parametrize("module, name", [("tui.libmpv", "find_libmpv"),
                                          ("tui.config.paths", "locate_config"),
                                          ("tui.ui.graphics", "settle")])
def test_ctrl_c_while_ytplay_starts_ends_it_quietly(tmp_path: Path, module: str,
                                                   name: str) -> None:
    """Ctrl-C anywhere before the app takes the terminal: status 130 (128 + SIGINT) and
    no traceback."""
    env = {**os.environ, **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
                            for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    r = subprocess.run([sys.executable, "-c", CTRL_C_AT.format(module=module, name=name)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 130 and "Traceback" not in r.stderr, r.stderr[-2000:]


def test_sigterm_while_the_terminal_is_asked_what_it_draws_gives_it_back(
        tmp_path: Path) -> None:
    """Before the app, the terminal is in cbreak mode while ytplay waits for its answer (up
    to a second from one that never answers): SIGTERM then unwinds start-up, and the
    terminal is given back as it was."""
    import signal
    import termios

    from tests.pty_terminal import Terminal
    from tui.ui.terminal_query import GRAPHICS_QUERY

    env = {**os.environ, "TERM": "xterm-256color",
           **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
              for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    term = Terminal([sys.executable, "-m", "tui", "--ao", "null"], env, cols=120, rows=36)
    term.screen.write_process_input = lambda data: None  # a terminal that answers nothing
    try:
        term.wait_for(lambda s: GRAPHICS_QUERY in term.raw, timeout=20)
        term.proc.send_signal(signal.SIGTERM)
        term.read_to_end(timeout=30)
        assert term.proc.wait(timeout=10) == 128 + signal.SIGTERM
        assert b"Traceback" not in term.raw
        lflag = termios.tcgetattr(term.master)[3]
        assert lflag & termios.ICANON and lflag & termios.ECHO
    finally:
        term.close()


def test_sigterm_ends_ytplay_as_q_does_and_gives_the_terminal_back(tmp_path: Path) -> None:
    """`kill`, a logout or a service manager's stop: the app ends as q ends it, so the
    terminal is given back (out of raw mode, the screen restored), instead of dying with
    the terminal as the app left it."""
    import signal
    import termios

    from tests.pty_terminal import Terminal

    env = {**os.environ, "TERM": "xterm-256color",
           **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
              for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    term = Terminal([sys.executable, "-m", "tui", "--ao", "null", "--demo", "--demo-port", "0"],
                    env, cols=100, rows=30)
    try:
        term.wait_for(lambda s: "Now Playing" in s and "Low Tide" in s, timeout=20)
        shown = len(term.raw)
        term.proc.send_signal(signal.SIGTERM)
        said = term.read_to_end(timeout=30)[shown:]
        assert term.proc.wait(timeout=10) == 128 + signal.SIGTERM
        assert b"\x1b[?1049l" in said and b"Traceback" not in said
        assert termios.tcgetattr(term.master)[3] & termios.ICANON
    finally:
        term.close()


def test_the_playback_drives_the_very_queue_the_first_frame_shows_even_when_empty(
        tmp_path: Path) -> None:
    """What the command line queues on an empty saved queue lands in the queue on screen
    (an empty queue was replaced by a new one, which the first frame did not show)."""
    from tui.factory import build_rest

    path = tmp_path / "config.toml"
    config = load_config(path)
    args = cli.parser().parse_args(["--ao", "null"])
    with ExitStack() as resources:
        begun = begin(args, Looks.of(config), resources)
        assert len(begun.frame.queue) == 0
        started = build_rest(begun, args, config, path, resources,
                             lambda: None)  # type: ignore[arg-type, return-value]
        assert started.playback.queue is begun.frame.queue
