"""The `ytplay` command as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from tui import __version__


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
