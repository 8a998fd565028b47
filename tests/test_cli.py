"""The `ytplay` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pty_terminal import Terminal, run_on_a_terminal
from tui import __version__, cli


def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "tui", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"ytplay {__version__}"


def test_help_lists_the_demo_knobs() -> None:
    r = run("--help")
    assert r.returncode == 0
    for knob in ("--demo", "--demo-token-ttl", "--demo-url-ttl", "--demo-stream-limit",
                 "--demo-fail-rate", "--demo-latency", "--demo-drop-rate", "--ao", "--video"):
        assert knob in r.stdout


def test_missing_libmpv_is_one_clear_paragraph_and_exit_2() -> None:
    # ctypes cannot find libmpv, as on a machine without it; everything else is real.
    code = ("import ctypes.util, sys; ctypes.util.find_library = lambda name: None\n"
            "from tui.__main__ import main; sys.exit(main(['--demo']))")
    r = run(code=code)
    assert r.returncode == 2
    assert "libmpv2" in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert r.stderr.startswith("ytplay: ytplay needs libmpv")


def test_a_libmpv_search_that_fails_is_said_before_any_screen() -> None:
    # libmpv not in ld.so's cache, so ctypes asks the C compiler, which wants a temporary
    # file, and there is no folder to make one in: the search raises OSError (on the thread
    # start-up runs it on).
    code = ("import ctypes.util, sys, tempfile\n"
            "ctypes.util._findSoname_ldconfig = lambda name: None\n"
            "tempfile.tempdir = '/nonexistent'\n"
            "from tui.__main__ import main; sys.exit(main(['--demo']))")
    r = run(code=code)
    assert r.returncode == 2 and r.stdout == ""  # no screen drawn
    assert "Traceback" not in r.stderr and r.stderr.startswith("ytplay: /nonexistent/")


# --- the saved queue, which a refusal leaves as it was ---------------------------------------

def _saved_queue() -> bytes:
    """A queue saved last time, as ytplay left it; what a run that refuses must not touch."""
    from tui.config.paths import queue_file
    from tui.core.models import QueueItem
    from tui.core.queue import Queue
    from tui.session.store import QueueStore

    QueueStore(queue_file()).save(Queue([QueueItem("https://example.invalid/a")], 0), 12.0)
    return queue_file().read_bytes()


def _queue_now() -> bytes:
    from tui.config.paths import queue_file

    return queue_file().read_bytes()


# --- no terminal ----------------------------------------------------------------------------

@pytest.mark.parametrize("stdin_tty, stdout_tty, says", [
    (False, False, "its standard input and output are not one"),   # cron, a script > file
    (True, False, "its standard output is not one"),               # ytplay | less
    (False, True, "its standard input is not one"),                # ytplay < /dev/null
])
def test_without_a_terminal_ytplay_says_so_and_draws_nothing(
        tmp_path: Path, stdin_tty: bool, stdout_tty: bool, says: str) -> None:
    """Started from a script, a cron job or a service, ytplay drew its screen into the file
    and waited for keys that never came, on a whole core, for good: now one line on stderr,
    what to use instead, exit 2; nothing drawn, the saved queue as it was."""
    saved = _saved_queue()
    master, slave = os.openpty()
    out = tmp_path / "out"
    with open(out, "wb") as file, open(os.devnull, "rb") as nothing:
        proc = subprocess.Popen([sys.executable, "-m", "tui", "--ao", "null"],
                                stdin=slave if stdin_tty else nothing,
                                stdout=slave if stdout_tty else file,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        os.close(slave)
        try:
            _, said = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    os.set_blocking(master, False)
    try:
        drawn = os.read(master, 65536) if stdout_tty else out.read_bytes()
    except (BlockingIOError, OSError):  # nothing there to read
        drawn = b""
    os.close(master)
    assert proc.returncode == 2 and drawn == b"", (drawn[:200], said)
    assert said.startswith("ytplay: ytplay plays in a terminal") and said.count("\n") == 1
    assert says in said and "config, doctor, cache, login" in said
    assert _queue_now() == saved


def test_with_standard_error_sent_elsewhere_the_screen_is_drawn_on_the_terminal(
        tmp_path: Path) -> None:
    """`ytplay 2>err.log` in a terminal: the screen is on the terminal. Textual draws on
    standard error: the whole screen went into the file and the terminal stayed blank."""
    log = tmp_path / "err.log"
    with open(log, "wb") as err:
        term = Terminal([sys.executable, "-m", "tui", "--ao", "null"],
                        {**os.environ, "TERM": "xterm-256color"}, stderr=err)
    try:
        term.wait_for(lambda s: "Now Playing" in s and "0 items" in s, timeout=30)
        term.send(b"q")
        term.read_to_end(timeout=30)
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()
    assert b"\x1b[" not in log.read_bytes()


@pytest.mark.parametrize("command", [
    ["--version"], ["--help"], ["config", "path"], ["config", "check"], ["cache", "ls"],
    ["cache", "size"], ["doctor", "--ao", "null"],
])
def test_the_commands_work_without_a_terminal(tmp_path: Path, command: list[str]) -> None:
    """What a script or a cron job may run: the commands answer with no terminal at all."""
    with open(os.devnull, "rb") as nothing:
        r = subprocess.run([sys.executable, "-m", "tui", *command], stdin=nothing,
                           capture_output=True, text=True, timeout=120)
    assert "plays in a terminal" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stdout.strip(), r.stderr
    # doctor's status says whether this machine has all ytplay needs: either is an answer.
    assert r.returncode in ((0, 1) if command[0] == "doctor" else (0,)), r.stderr


# --- the command line -----------------------------------------------------------------------

def _on_a_terminal(*args: str) -> subprocess.CompletedProcess[str]:
    """ytplay as typed in a terminal: with a word taken for something to play, it started
    playing (and never ended here)."""
    return run_on_a_terminal([sys.executable, "-m", "tui", *args])


def test_options_before_a_command_go_to_the_command(tmp_path: Path) -> None:
    """`ytplay --config FILE config check` checks FILE; it started the player and queued
    "config" and "check" as two items that failed."""
    saved = _saved_queue()
    bad = tmp_path / "bad.toml"
    bad.write_text("[playback]\nvolume = 300\n")
    r = _on_a_terminal("--config", str(bad), "config", "check")
    assert r.returncode == 1 and f"{bad}:2: playback.volume" in r.stderr, r.stderr
    good = tmp_path / "good.toml"
    good.write_text("[playback]\nvolume = 30\n")
    assert _on_a_terminal("--config", str(good), "config", "check").returncode == 0
    shown = _on_a_terminal("--config", str(good), "config", "path")
    assert shown.returncode == 0 and str(good) in shown.stdout
    assert _on_a_terminal("--config", str(good), "cache", "size").returncode == 0
    # An option the command does not take is its usage error, said by its own parser.
    wrong = _on_a_terminal("--offline", "config", "check")
    assert wrong.returncode == 2 and "ytplay config: error: unrecognized arguments: --offline" \
        in wrong.stderr
    assert _queue_now() == saved


@pytest.mark.parametrize("word, says", [
    ("doctr", "ytplay: no such command or file: doctr (did you mean doctor?)"),
    ("confg", "ytplay: no such command or file: confg (did you mean config?)"),
    ("cahce", "ytplay: no such command or file: cahce (did you mean cache?)"),
    ("xyzzy", "ytplay: no such command or file: xyzzy (ytplay --help lists them)"),
])
def test_a_word_that_is_nothing_to_play_is_an_error_with_a_suggestion(
        word: str, says: str) -> None:
    """A command mistyped was queued and played: ytplay started, and the word failed in
    the queue saved for the next start. Now said at once, exit 2, nothing queued."""
    saved = _saved_queue()
    r = _on_a_terminal(word)
    assert (r.returncode, r.stderr, r.stdout) == (2, says + "\n", "")
    assert _on_a_terminal("https://example.invalid/a", word).returncode == 2  # among others
    assert _queue_now() == saved


def test_a_word_that_names_a_file_here_is_queued(tmp_path: Path) -> None:
    """A bare word is something to play when a file of that name is where ytplay starts."""
    (tmp_path / "doctr").write_bytes(b"")
    term = Terminal([sys.executable, "-m", "tui", "--ao", "null", "doctr"],
                    {**os.environ, "TERM": "xterm-256color"}, cwd=tmp_path)
    try:
        term.wait_for(lambda s: "doctr" in s and "1 items" in s, timeout=30)
        term.send(b"q")
        term.read_to_end(timeout=30)
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()


def test_help_lists_every_command_with_a_line_each() -> None:
    """Each command ytplay runs is in `--help`, one line each, and runs with its own
    `--help` (the list of commands is the one the command line is dispatched by)."""
    r = run("--help")
    block = r.stdout.split("commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    listed = [line.split()[1] for line in block]
    assert listed == list(cli.COMMANDS) and all(len(line.split()) > 3 for line in block)
    for name in listed:
        own = run(name, "--help")
        assert own.returncode == 0 and own.stdout.startswith(f"usage: ytplay {name}"), own
