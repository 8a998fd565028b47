"""Closing the terminal window, or an ssh session that drops, hangs ytplay's terminal up and
the kernel sends it SIGHUP: it ends as q ends it, with the place in the queue saved, whether
the terminal is still there or already gone (tui/__main__.py, tui/logsetup.py). The real
ytplay in a pseudo-terminal, over a saved queue of the demo service's pages (a `--demo`
queue is never saved)."""

from __future__ import annotations

import os
import re
import signal
import sys
import termios
import threading

from tests.pty_terminal import Terminal
from tui.config.paths import log_dir, queue_file
from tui.core.models import QueueItem
from tui.core.queue import Queue
from tui.core.timefmt import clock
from tui.demo.catalog import TRACKS
from tui.demo.service import DemoService
from tui.logsetup import terminal_stream
from tui.session.queue_store import QueueStore

HUNG_UP = 128 + signal.SIGHUP
SAVED_AT = 60.0  # where the saved queue resumes, s
# As a terminal window's shell has it: the pty is ytplay's controlling terminal, so closing
# its master side hangs it up, and the kernel (not the test) sends SIGHUP.
ON_ITS_OWN_TERMINAL = ("import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
                       "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")


def _position(screen: str) -> int | None:
    m = re.search(r"(\d+):(\d\d) / 3:04", screen)  # Low Tide's clock in Now Playing
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def _saved_queue(demo: DemoService) -> None:
    items = [QueueItem(ref=demo.watch_url(t.id), title=t.title, artist=t.artist,
                       duration=float(t.seconds)) for t in TRACKS[:3]]
    QueueStore(queue_file()).save(Queue(items, 0), SAVED_AT)


def _ytplay(*, own_terminal: bool = False) -> Terminal:
    """ytplay (not the demo: its queue is the one saved) in a pty, in the test's folders."""
    ytplay = ["-m", "tui", "--ao", "null"]
    return Terminal([sys.executable, "-c", ON_ITS_OWN_TERMINAL, *ytplay] if own_terminal
                    else [sys.executable, *ytplay], {**os.environ, "TERM": "xterm-256color"})


def _playing_past(seconds: int, *, own_terminal: bool = False) -> Terminal:
    """ytplay on the saved queue, space pressed, once Now Playing's clock is past `seconds`
    (the exit's save, not the one when playing starts, can hold that)."""
    term = _ytplay(own_terminal=own_terminal)
    try:
        term.wait_for(lambda s: f"space resumes at {clock(SAVED_AT)}" in s, timeout=30)
        term.send(b" ")
        term.wait_for(lambda s: (_position(s) or 0) >= seconds, timeout=30)
    except BaseException:
        term.close()
        raise
    return term


def _saved_place() -> tuple[int | None, float]:
    queue, position = QueueStore(queue_file()).load()
    return queue.current_index, position


def _hang_up(term: Terminal) -> None:
    """The window closes (its side of the pty): the kernel hangs ytplay's side up and sends
    it SIGHUP. ytplay is gone within seconds, with the hang-up's status and no traceback
    where one could still go."""
    os.close(term.master)
    try:
        assert term.proc.wait(timeout=15) == HUNG_UP
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()
    for log in (log_dir() / "ytplay.log", log_dir() / "native-stderr.log"):
        assert "Traceback" not in log.read_text()


def test_sighup_saves_the_place_and_a_restart_resumes_there(demo: DemoService) -> None:
    """`kill -HUP` with the terminal still there: ytplay ends as q does (the terminal given
    back) with status 129, the queue saved where it played; the next ytplay resumes there."""
    _saved_queue(demo)
    term = _playing_past(int(SAVED_AT) + 3)
    try:
        shown = len(term.raw)
        term.proc.send_signal(signal.SIGHUP)
        said = term.read_to_end(timeout=30)[shown:]
        assert term.proc.wait(timeout=10) == HUNG_UP
        assert b"\x1b[?1049l" in said and b"Traceback" not in said
        assert termios.tcgetattr(term.master)[3] & termios.ICANON
    finally:
        term.close()
    current, position = _saved_place()
    assert current == 0 and position >= SAVED_AT + 3

    again = _ytplay()
    try:
        again.wait_for(lambda s: f"space resumes at {clock(position)}" in s, timeout=30)
        again.send(b"q")
        again.read_to_end(timeout=30)
        assert again.proc.wait(timeout=10) == 0
    finally:
        again.close()


def test_a_terminal_that_hangs_up_while_ytplay_plays_loses_nothing(demo: DemoService) -> None:
    """The window closed while ytplay plays: it ends with the place saved, though the
    terminal it would give back is gone (writing to it fails with EIO)."""
    _saved_queue(demo)
    _hang_up(_playing_past(int(SAVED_AT) + 2, own_terminal=True))
    current, position = _saved_place()
    assert current == 0 and position >= SAVED_AT + 2


def test_a_terminal_that_hangs_up_as_ytplay_starts_ends_it(demo: DemoService) -> None:
    """The window closed as ytplay asks the terminal what it draws (before the app runs):
    start-up is unwound, and the saved queue is left as it was."""
    from tui.ui.terminal_query import GRAPHICS_QUERY

    _saved_queue(demo)
    term = _ytplay(own_terminal=True)
    term.screen.write_process_input = lambda data: None  # a terminal that answers nothing
    term.wait_for(lambda s: GRAPHICS_QUERY in term.raw, timeout=30)
    _hang_up(term)
    assert _saved_place() == (0, SAVED_AT)


def test_textual_draws_on_a_terminal_that_hung_up_without_blocking() -> None:
    """Textual's writer thread on ytplay's terminal stream, the terminal hung up: what is
    drawn goes nowhere and the thread keeps taking it. When writing raised EIO the thread
    ended and the 31st write blocked its caller, the UI loop, for good; a terminal that
    stalls before it hangs up (an ssh session) had that many queued already, so SIGHUP's
    end, which saves the queue, never came."""
    from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

    master, slave = os.openpty()
    stream = terminal_stream(slave, "utf-8")
    writer = WriterThread(stream)
    writer.start()
    os.close(master)  # the window closes: the slave side, ytplay's, hangs up

    def draw() -> None:
        for _ in range(2 * MAX_QUEUED_WRITES):
            writer.write("\x1b[H frame")
        writer.stop()
    drawing = threading.Thread(target=draw, daemon=True)
    drawing.start()
    drawing.join(timeout=10)
    assert not drawing.is_alive(), "the writes blocked: Textual's writer thread had ended"
    stream.close()
