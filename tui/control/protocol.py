"""What both ends of the control socket agree on (docs/CONTROL.md): where it lives, whose it
must be, and how a line is written. The standard library only: `ytplay ctl` imports this and
nothing of the session, so that a command from a script answers in a few milliseconds.

The socket is `$XDG_RUNTIME_DIR/ytplay/ctl.sock`, or, where there is no runtime directory
(macOS, a bare ssh login), `ytplay-UID/ctl.sock` in the temporary directory. Its folder is
made 0700 and the socket 0600, so only its owner reaches it; anything else found there (a
folder or a socket of another user's, or open to others) is refused, not used."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

VERSION = 1  # of the objects `status`, `queue` and `watch` answer with (docs/CONTROL.md)
MAX_LINE = 1 << 20  # bytes: a request longer than this (a megabyte of references) ends its
                    # connection unanswered; answers have no limit (a long queue is one line)
SOCKET = "ctl.sock"


class NotOurs(Exception):
    """The folder or the socket is not its owner's alone: said in one line, and refused."""


def folder() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):  # the spec: a relative one is to be ignored
        return Path(runtime) / "ytplay"
    return Path(tempfile.gettempdir()) / f"ytplay-{os.getuid()}"


def socket_path() -> Path:
    return folder() / SOCKET


def check_ours(path: Path) -> None:
    """NotOurs unless `path` is a file or folder (not a link to one) that the user running
    this owns and that no one else may use: a socket put there by someone else would hear
    what the scripts send and answer what it likes."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise NotOurs(f"{path} is a symbolic link, not ytplay's")
    if info.st_uid != os.getuid():
        raise NotOurs(f"{path} belongs to uid {info.st_uid}, not to you (uid {os.getuid()})")
    if info.st_mode & 0o077:
        raise NotOurs(f"{path} is open to other users (mode {stat.S_IMODE(info.st_mode):o}, "
                      f"ytplay makes it {0o700 if stat.S_ISDIR(info.st_mode) else 0o600:o})")


def encode(message: dict[str, object]) -> bytes:
    """One line of JSON. Text stays UTF-8 (titles in any script), never split over lines."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> object:
    """What one line says; ValueError when it is not JSON."""
    return json.loads(line)
