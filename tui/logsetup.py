"""Logging to a rotating, redacted file in the user log dir; native stderr kept off the screen."""

from __future__ import annotations

import errno
import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Callable, TextIO

from tui.core.errors import YtplayError
from tui.core.redact import redact


class LogFileError(YtplayError):
    """The log file cannot be opened for writing; the message says why, in words."""


def _why(log_file: Path, error: OSError) -> str:
    """What is in the way: a file where a folder should be is reported by the OS as
    "File exists" or "Not a directory" against the wrong path, so name the culprit."""
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        for folder in reversed(log_file.parents):
            if folder.exists() and not folder.is_dir():
                return f"{folder} is a file, not a folder"
    return error.strerror or str(error)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


# What the libraries ytplay uses say at DEBUG (every HTTP request's headers and bytes, every
# image decoded, every D-Bus message, every file event) drowns ytplay's own debug lines:
# `[log] level = "debug"` is for ytplay's. httpx says one line per request at INFO, and the
# session logs each retry itself.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.INFO, "PIL": logging.INFO,
         "asyncio": logging.INFO, "urllib3": logging.INFO, "dbus_fast": logging.INFO,
         "watchfiles": logging.INFO, "markdown_it": logging.INFO}


def setup_logging(log_file: Path, level: int | str = logging.INFO) -> None:
    """Log to `log_file`; raises LogFileError when it cannot be written."""
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=2_000_000,
                                                       backupCount=3, encoding="utf-8")
    except OSError as e:
        raise LogFileError(f"the log file {log_file} cannot be written "
                           f"({_why(log_file, e)})") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    logging.captureWarnings(True)


class _Terminal(io.FileIO):
    """A terminal's file descriptor, whose writes go nowhere once it has hung up (they fail
    with EIO)."""

    def write(self, data: bytes) -> int | None:  # type: ignore[override]
        try:
            return super().write(data)
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            return len(data)


def terminal_stream(fd: int, encoding: str) -> TextIO:
    """A line-buffered text stream on the terminal at `fd` (closed with it), for Textual to
    draw on. Once the terminal has hung up (its window closed, the ssh session dropped),
    what is written goes nowhere: the EIO that writing raised ended Textual's writer thread,
    and the writes queued for it (30 at most, all there when the terminal stalled before it
    hung up) blocked the UI loop for good, so the end SIGHUP asks for, which saves the
    queue, never came."""
    return io.TextIOWrapper(io.BufferedWriter(_Terminal(fd, "w")), encoding=encoding,
                            errors="replace", line_buffering=True)


def draw_on_the_terminal(native_log: Path) -> Callable[[], None]:
    """Make `sys.__stderr__`, which Textual draws on, a stream on the terminal, and keep
    what native libraries write to file descriptor 2 off the screen. ytplay runs with a
    terminal on its standard output (it does not start without one). Where standard error
    is that terminal too, fd 2 goes to `native_log` (divert_native_stderr). Where it is not
    (`ytplay 2>err.log`), the screen goes to standard output's terminal — drawn on standard
    error, it went into that file whole and the terminal stayed blank — and fd 2 and
    `sys.stderr` stay where the person sent them, with what ytplay has to say as it ends.
    Returns a function that puts back what it changed."""
    if os.isatty(2):
        return divert_native_stderr(native_log)
    return _streams_on(os.dup(1), "__stderr__")


def divert_native_stderr(target: Path) -> Callable[[], None]:
    """Point file descriptor 2 at `target`, where ALSA, JACK, PipeWire and libmpv write their
    noise, while Python's `sys.stderr` (which Textual draws on) keeps the terminal.
    Returns a function that puts fd 2 back."""
    target.parent.mkdir(parents=True, exist_ok=True)
    terminal = os.dup(2)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
    python_back = _streams_on(os.dup(terminal), "stderr", "__stderr__")

    def restore() -> None:
        python_back()
        os.dup2(terminal, 2)
        os.close(terminal)

    return restore


def _streams_on(fd: int, *names: str) -> Callable[[], None]:
    """The `sys` streams `names` made one terminal stream on `fd` (closed with it); returns
    a function that puts them back."""
    encoding = getattr(sys.__stderr__, "encoding", None) or "utf-8"
    stream = terminal_stream(fd, encoding)
    saved = {name: getattr(sys, name) for name in names}
    for name in names:
        setattr(sys, name, stream)

    def restore() -> None:
        for name, was in saved.items():
            setattr(sys, name, was)
        stream.close()

    return restore
