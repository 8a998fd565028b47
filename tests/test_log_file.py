"""The log file (tui/logsetup.py), written by a separate Python process as ytplay writes it:
logging is global to a process, and these tests must not leave their handlers in pytest's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tui.logsetup import QUIET


def log_in_a_process(tmp_path: Path, level: str, code: str) -> str:
    """Run `code` after ytplay's log set-up at `level`; the log file's text."""
    log_file = tmp_path / "ytplay.log"
    script = textwrap.dedent(f"""\
        import logging
        from pathlib import Path
        from tui.logsetup import setup_logging
        setup_logging(Path({str(log_file)!r}), {level!r})
    """) + textwrap.dedent(code)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60,
                   cwd=Path(__file__).parent.parent)
    return log_file.read_text(encoding="utf-8")


def test_at_debug_the_libraries_chatter_stays_out(tmp_path: Path) -> None:
    """[log] level = "debug" is for ytplay's own lines: the libraries' DEBUG lines (an
    event loop made, an image decoded, each logger ytplay quiets) are not written, their
    warnings are."""
    png = tmp_path / "cover.png"
    log = log_in_a_process(tmp_path, "DEBUG", f"""\
        import asyncio
        from PIL import Image
        logging.getLogger("tui.session.playback._playback").debug("ytplay's own debug line")
        asyncio.new_event_loop().close()             # asyncio: "Using selector: …"
        Image.new("RGB", (4, 4)).save({str(png)!r})
        Image.open({str(png)!r}).load()               # PIL: "STREAM b'IHDR' …"
        for name in {sorted(QUIET)!r}:
            logging.getLogger(name + ".inner").debug("chatter from %s", name)
            logging.getLogger(name).warning("a warning from %s", name)
    """)
    assert "ytplay's own debug line" in log
    assert "Using selector" not in log and "STREAM" not in log
    assert "chatter from" not in log
    for name in QUIET:
        assert f"a warning from {name}" in log
    assert set(QUIET) >= {"httpcore", "httpx", "PIL", "asyncio", "urllib3", "dbus_fast",
                          "watchfiles", "markdown_it"}


def test_the_log_hides_what_every_printer_hides(tmp_path: Path) -> None:
    """The log file redacts as `config show` and the panels do: a header's credential, a
    password in a URL, a token in a query."""
    log = log_in_a_process(tmp_path, "DEBUG", """\
        log = logging.getLogger("tui.session.proxy._stream_proxy")
        log.info("upstream headers: %s", {"Cookie": "sid=c00kie", "Accept": "*/*"})
        log.warning("mpv http-header-fields = Authorization: Bearer b3arer,X-Api-Key: k3y")
        log.error("GET https://me:pa55@media.example/a.mp3?token=t0ken failed")
    """)
    assert "'Accept': '*/*'" in log and "media.example/a.mp3" in log
    for secret in ("c00kie", "b3arer", "k3y", "pa55", "t0ken"):
        assert secret not in log, log
