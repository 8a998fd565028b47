"""Closing the terminal window, or an ssh session that drops, hangs ytplay's terminal up and
the kernel sends it SIGHUP: it ends as q ends it, with the place in the queue saved, whether
the terminal is still there or already gone, at any moment of start-up, play or quit, and
never spins on the dead terminal (tui/__main__.py, tui/logsetup.py,
tui/ui/terminal_driver.py). The real ytplay in a pseudo-terminal, over a saved queue of the
demo service's pages (a `--demo` queue is never saved)."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time

import pytest

from tests.pty_terminal import Terminal
from tui.config.paths import log_dir, queue_file
from tui.core.models import QueueItem
from tui.core.queue import Queue
from tui.core.timefmt import clock
from tui.demo.catalog import TRACKS
from tui.demo.service import DemoService
from tui.logsetup import terminal_stream
from tui.session.store import QueueStore

HUNG_UP = 128 + signal.SIGHUP
SAVED_AT = 60.0  # where the saved queue resumes, s
# As a terminal window's shell has it: the pty is ytplay's controlling terminal, so closing
# its master side hangs it up, and the kernel (not the test) sends SIGHUP.
ON_ITS_OWN_TERMINAL = ("import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
                       "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")
# As `nohup ytplay` has it: SIGHUP ignored from the start (exec keeps it ignored).
UNDER_NOHUP = "import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN); " + ON_ITS_OWN_TERMINAL
TICK = os.sysconf("SC_CLK_TCK")


def _position(screen: str) -> int | None:
    m = re.search(r"(\d+):(\d\d) / 3:04", screen)  # Low Tide's clock in Now Playing
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def _saved_queue(demo: DemoService) -> None:
    items = [QueueItem(ref=demo.watch_url(t.id), title=t.title, artist=t.artist,
                       duration=float(t.seconds)) for t in TRACKS[:3]]
    QueueStore(queue_file()).save(Queue(items, 0), SAVED_AT)


def _ytplay(*, own_terminal: bool = False, nohup: bool = False) -> Terminal:
    """ytplay (not the demo: its queue is the one saved) in a pty, in the test's folders."""
    ytplay = ["-m", "tui", "--ao", "null"]
    wrapper = UNDER_NOHUP if nohup else ON_ITS_OWN_TERMINAL if own_terminal else None
    return Terminal([sys.executable, "-c", wrapper, *ytplay] if wrapper
                    else [sys.executable, *ytplay], {**os.environ, "TERM": "xterm-256color"})


def _playing_past(seconds: int, *, own_terminal: bool = False, nohup: bool = False) -> Terminal:
    """ytplay on the saved queue, space pressed, once Now Playing's clock is past `seconds`
    (the exit's save, not the one when playing starts, can hold that)."""
    term = _ytplay(own_terminal=own_terminal, nohup=nohup)
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
    _no_traceback_logged()


def _no_traceback_logged() -> None:
    """In the log files ytplay has opened by then (native-stderr.log as the app starts)."""
    for log in (log_dir() / "ytplay.log", log_dir() / "native-stderr.log"):
        assert not log.exists() or "Traceback" not in log.read_text()


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


def _cpu_seconds(pid: int) -> float:
    """The CPU time the process has used so far, all its threads together."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _ends_within(proc: subprocess.Popen[bytes], seconds: float) -> tuple[int, float]:
    """Wait `seconds` at most for the process to end: its status (as Popen says it) and the
    CPU time its own threads used in all (read as it lies ended, before it is reaped: what
    the processes it started used is theirs)."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        if not select.select([pidfd], [], [], seconds)[0]:
            used = _cpu_seconds(proc.pid)
            proc.kill()
            proc.wait()
            raise AssertionError(f"still running {seconds} s later, {used:.1f} s of CPU used")
    finally:
        os.close(pidfd)
    used = _cpu_seconds(proc.pid)
    return proc.wait(), used


# The moments after q at which the window closes: before the app has seen the key, as it
# gives the terminal back, saves the queue and closes the player, and as the process ends.
@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0])
def test_the_window_closed_as_ytplay_quits_ends_it_with_the_place_saved(
        demo: DemoService, delay: float) -> None:
    """q, then the window closed within a second: ytplay ends within seconds, without
    spinning meanwhile, the place saved. The hang-up's SIGCONT, come after the app had
    given the terminal back, started Textual's application mode again, and the process was
    left behind reading the dead terminal on a whole core (at 0.2 s, every time)."""
    _saved_queue(demo)
    term = _playing_past(int(SAVED_AT) + 2, own_terminal=True)
    term.send(b"q")
    time.sleep(delay)  # the moment of the quit the window closes at: what is tested
    closed_at = _cpu_seconds(term.proc.pid)
    os.close(term.master)
    status, cpu = _ends_within(term.proc, 15)
    # Quit (0), the hang-up handled (129), or the hang-up after the handler's time, with all
    # done but the interpreter's end, ends it as the signal does.
    assert status in (0, HUNG_UP, -signal.SIGHUP)
    assert cpu - closed_at < 1.0, f"{cpu - closed_at:.2f} s of CPU after the window closed"
    _no_traceback_logged()
    current, position = _saved_place()
    assert current == 0 and position >= SAVED_AT + 2


def _running_ytplay(proc: subprocess.Popen[bytes]) -> None:
    """Once the wrapper has made the terminal its own and run ytplay in its place."""
    deadline = time.monotonic() + 10
    while open(f"/proc/{proc.pid}/cmdline", "rb").read().split(b"\0")[1:3] != [b"-m", b"tui"]:
        assert time.monotonic() < deadline, "ytplay never started"
        time.sleep(0.005)


# The moments of start-up the window closes at (from ytplay's start; its first frame comes
# some 0.5 s in): imports, the terminal asked what it draws, the first frame, the second half.
@pytest.mark.parametrize("delay", [0.0, 0.1, 0.25, 0.5, "first frame"])
def test_the_window_closed_as_ytplay_starts_ends_it(demo: DemoService,
                                                     delay: float | str) -> None:
    _saved_queue(demo)
    term = _ytplay(own_terminal=True)
    _running_ytplay(term.proc)
    if delay == "first frame":
        term.wait_for(lambda s: f"space resumes at {clock(SAVED_AT)}" in s, timeout=30)
    else:
        time.sleep(float(delay))
    closed_at = _cpu_seconds(term.proc.pid)
    os.close(term.master)
    status, cpu = _ends_within(term.proc, 15)
    assert status in (HUNG_UP, -signal.SIGHUP)  # its handler set up, or not yet
    assert cpu - closed_at < 1.5, f"{cpu - closed_at:.2f} s of CPU after the window closed"
    _no_traceback_logged()
    assert _saved_place() == (0, SAVED_AT)


def test_a_terminal_that_hangs_up_without_a_sighup_ends_ytplay(demo: DemoService) -> None:
    """A terminal that is not ytplay's controlling terminal hangs up without a SIGHUP to it,
    as for a job the kernel does not signal: the end of its input says it. Before, ytplay
    played on with its input thread reading the end of file on a whole core, for good."""
    _saved_queue(demo)
    _hang_up(_playing_past(int(SAVED_AT) + 2))
    current, position = _saved_place()
    assert current == 0 and position >= SAVED_AT + 2


def test_under_nohup_a_terminal_gone_leaves_ytplay_playing_without_spinning(
        demo: DemoService) -> None:
    """`nohup ytplay`, the window closed: ytplay plays on, as nohup asks, and costs next to
    nothing with no terminal (it read the end of file in a loop on a whole core); SIGTERM
    then ends it with the place saved."""
    _saved_queue(demo)
    term = _playing_past(int(SAVED_AT) + 2, nohup=True)
    os.close(term.master)
    before = _cpu_seconds(term.proc.pid)
    time.sleep(3)  # the time over which its CPU is measured
    used = _cpu_seconds(term.proc.pid) - before
    assert term.proc.poll() is None, "nohup asked ytplay to outlive its terminal"
    assert used < 0.6, f"{used:.2f} s of CPU in 3 s with no terminal"
    term.proc.send_signal(signal.SIGTERM)
    status, _ = _ends_within(term.proc, 15)
    assert status == 128 + signal.SIGTERM
    _no_traceback_logged()
    current, position = _saved_place()
    assert current == 0 and position >= SAVED_AT + 4, position  # it played on meanwhile


def test_sigtstp_and_sigcont_still_suspend_and_resume_ytplay() -> None:
    """`kill -TSTP`, then `kill -CONT` (what a shell's fg sends): the terminal is given back
    while ytplay is stopped and taken again when it goes on; the SIGCONT that resumes is
    the one that follows a suspend, and only that one (tui/ui/terminal_driver.py)."""
    term = _ytplay(own_terminal=True)
    try:
        term.wait_for(lambda s: "0 items" in s, timeout=30)
        shown = len(term.raw)
        term.proc.send_signal(signal.SIGTSTP)
        term.wait_for(lambda s: b"\x1b[?1049l" in term.raw[shown:], timeout=10)
        deadline = time.monotonic() + 10
        while open(f"/proc/{term.proc.pid}/stat").read().rsplit(")", 1)[1].split()[0] != "T":
            assert time.monotonic() < deadline, "ytplay did not stop"
            time.sleep(0.01)
        shown = len(term.raw)
        term.proc.send_signal(signal.SIGCONT)
        term.wait_for(lambda s: b"\x1b[?1049h" in term.raw[shown:] and "0 items" in s,
                      timeout=10)
        term.send(b"q")
        term.read_to_end(timeout=30)
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()


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
