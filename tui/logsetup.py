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


def divert_native_stderr(target: Path) -> Callable[[], None]:
    """Point file descriptor 2 at `target`, where ALSA, JACK, PipeWire and libmpv write their
    noise, while Python's `sys.stderr` (which Textual draws on) keeps the terminal.
    Returns a function that puts fd 2 back."""
    target.parent.mkdir(parents=True, exist_ok=True)
    terminal = os.dup(2)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
    encoding = getattr(sys.__stderr__, "encoding", None) or "utf-8"
    stream = terminal_stream(os.dup(terminal), encoding)
    saved = sys.stderr, sys.__stderr__
    sys.stderr = sys.__stderr__ = stream

    def restore() -> None:
        sys.stderr, sys.__stderr__ = saved
        stream.close()
        os.dup2(terminal, 2)
        os.close(terminal)

    return restore
