"""Asking the terminal what it can draw (tui/ui/terminal_query.py), against a pseudo-terminal
whose other end plays a terminal: one that speaks kitty graphics, one that draws sixel, and
one that speaks neither and never answers the graphics query (most of them). Then through
textual-image, as ytplay loads it after its first frame (tui/ui/graphics.py): it is given
the widget for what the terminal draws and its cell size, asks the terminal nothing itself,
and nothing of the answers is left for Textual to read as keys."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.pty_terminal import Terminal
from tui.ui import terminal_query

KITTY = {terminal_query.GRAPHICS_QUERY: b"\x1b_Gi=31;OK\x1b\\",
         terminal_query.DEVICE_ATTRIBUTES: b"\x1b[?62;22c"}
SIXEL = {terminal_query.DEVICE_ATTRIBUTES: b"\x1b[?62;4;22c"}
NEITHER = {terminal_query.DEVICE_ATTRIBUTES: b"\x1b[?62;22c"}
CELL_9_BY_18 = {terminal_query.CELL_SIZE_QUERY: b"\x1b[6;18;9t"}
TYPED = b"n?\x1b[A"  # n, ?, the up arrow


def _play_terminal(master: int, answers: dict[bytes, bytes], stop: threading.Event,
                   heard: bytearray | None = None) -> None:
    """Answer each query read on `master` as `answers` says, in order; never the others.
    What is read is added to `heard`."""
    pending = b""
    while not stop.is_set():
        try:
            chunk = os.read(master, 1024)
        except OSError:
            return
        pending += chunk
        if heard is not None:
            heard += chunk
        for query in sorted(answers, key=pending.find):
            while query in pending:
                at = pending.index(query)
                if any(q in pending[:at] for q in answers if q != query):
                    break
                pending = pending[at + len(query):]
                os.write(master, answers[query])


@pytest.mark.parametrize("answers, kitty, sixel, cell", [
    (KITTY, True, False, None), (SIXEL, False, True, None), (NEITHER, False, False, None),
    ({**NEITHER, **CELL_9_BY_18}, False, False, (9, 18))])
def test_one_round_trip_says_what_the_terminal_draws(answers: dict[bytes, bytes], kitty: bool,
                                                    sixel: bool, cell: tuple[int, int] | None
                                                    ) -> None:
    master, slave = os.openpty()
    stop = threading.Event()
    player = threading.Thread(target=_play_terminal, args=(master, answers, stop), daemon=True)
    player.start()
    try:
        with terminal_query.quiet(slave):
            os.write(master, TYPED)  # typed before ytplay asked: read with the answers
            start = time.monotonic()
            drawing = terminal_query.ask(slave, slave, timeout=10)
            took = time.monotonic() - start
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
    assert drawing == terminal_query.Drawing(answered=True, kitty=kitty, sixel=sixel,
                                             cell=cell, typed=TYPED)
    # Not waiting for a graphics answer that never comes: done on the attributes' answer.
    assert took < 5


def test_a_terminal_that_answers_nothing_is_said_so() -> None:
    master, slave = os.openpty()
    try:
        with terminal_query.quiet(slave):
            assert terminal_query.ask(slave, slave, timeout=0.2) == terminal_query.Drawing()
    finally:
        os.close(slave)
        os.close(master)


LOAD_AFTER_ASKING = """
import os, select, sys
from tui.ui import graphics

graphics.prepare()
graphics.settle()
graphics.load()  # as the first cover to show does
from textual_image import widget
from textual_image._terminal import get_cell_size

cls = graphics.image_class()
name = [n for n in ("TGPImage", "SixelImage", "HalfcellImage") if getattr(widget, n) is cls]
ready, _, _ = select.select([sys.stdin], [], [], 0.3)
left = os.read(sys.stdin.fileno(), 1024) if ready else b""
with open(sys.argv[1], "w") as out:
    out.write(repr((name, tuple(get_cell_size()), left)))
"""


@pytest.mark.parametrize("answers, pixels, widget, cell", [
    (KITTY, (120 * 9, 36 * 18), "TGPImage", (9, 18)),  # the size told in pixels
    ({**SIXEL, **CELL_9_BY_18}, None, "SixelImage", (9, 18)),  # asked
    (NEITHER, None, "HalfcellImage", (10, 20)),  # told nothing: textual-image's default
])
def test_textual_image_is_told_what_the_terminal_draws_and_asks_nothing(
        tmp_path: Path, answers: dict[bytes, bytes], pixels: tuple[int, int] | None,
        widget: str, cell: tuple[int, int]) -> None:
    """The widget for what the terminal draws and its cell size, from ytplay's one round
    trip: the terminal hears each query once (textual-image asks nothing when loaded), and
    no answer is left in the input for Textual."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, *(pixels or (0, 0))))
    stop, heard = threading.Event(), bytearray()
    player = threading.Thread(target=_play_terminal, args=(master, answers, stop, heard),
                              daemon=True)
    player.start()
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL_CELL_")}
    try:
        proc = subprocess.run([sys.executable, "-c", LOAD_AFTER_ASKING, str(out)], stdin=slave,
                              stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
                              timeout=60, start_new_session=True)
    finally:
        stop.set()
        os.close(slave)
        player.join(timeout=5)
        os.close(master)
    assert proc.returncode == 0, bytes(heard).decode(errors="replace")
    assert eval(out.read_text()) == ([widget], cell, b"")
    assert heard.count(terminal_query.DEVICE_ATTRIBUTES) == 1
    assert heard.count(b"\x1b_G") == 1  # the graphics query
    assert heard.count(terminal_query.CELL_SIZE_QUERY) == (0 if pixels else 1)


def test_a_terminal_too_narrow_for_a_cover_is_not_promised_one(tmp_path: Path) -> None:
    """At 80 columns the terminal is not asked what it draws (a cover would not fit), and
    ytplay does not say that covers show from the next start: at that width they never do."""
    env = {**os.environ, "TERM": "xterm-256color",
           **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
              for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    term = Terminal([sys.executable, "-m", "tui", "--ao", "null", "--demo", "--demo-port", "0"],
                    env, cols=80, rows=24)
    try:
        term.wait_for(lambda s: "▶ playing" in s, timeout=30)  # start-up's second half done
        assert "cover art" not in term.text()
        term.send(b"q")
        term.read_to_end(timeout=15)  # read on: a full terminal would hold the app's writes
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()


def test_keys_typed_as_ytplay_starts_are_not_lost_to_the_terminals_answers(
        tmp_path: Path) -> None:
    """Keys typed before ytplay reads the terminal's answers (as it is launched) are read
    with them: they reach the app as keys, in order (S hides the session panel, ? opens
    the help), and nothing of the answers does (their final c would open the config
    editor)."""
    env = {**os.environ, "TERM": "xterm-256color",
           **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
              for n in ("CONFIG", "STATE", "DATA", "CACHE")}}
    term = Terminal([sys.executable, "-m", "tui", "--ao", "null", "--demo", "--demo-port", "0"],
                    env, cols=120, rows=36)
    try:
        term.send(b"S?")  # typed at once: waiting in the terminal before ytplay reads it
        term.wait_for(lambda s: "ytplay — keys" in s, timeout=30)
        term.send(b"\x1b")  # the help closed: what is under it shows
        term.wait_for(lambda s: "Queue" in s and "ytplay — keys" not in s, timeout=10)
        screen = term.text()
        assert "Kind" not in screen and "Editing" not in screen  # the session panel hidden
        term.send(b"q")
        term.read_to_end(timeout=15)  # read on: a full terminal would hold the app's writes
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()


def test_a_pixel_size_smaller_than_the_cells_is_not_taken_for_the_cell_size() -> None:
    """A terminal that tells fewer pixels than it has cells (garbage, or a cell 0 pixels
    wide) is asked the cell size instead, as one that tells none."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 60, 30))
    stop = threading.Event()
    player = threading.Thread(target=_play_terminal,
                              args=(master, {**NEITHER, **CELL_9_BY_18}, stop), daemon=True)
    player.start()
    try:
        with terminal_query.quiet(slave):
            drawing = terminal_query.ask(slave, slave, timeout=10)
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
    assert drawing.answered and drawing.cell == (9, 18)
