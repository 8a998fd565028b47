"""What the terminal can draw, asked in one round trip, and a way to make textual-image's own
question about kitty graphics end at once where the answer is no.

Why not leave it to textual-image alone: on import it asks for sixel (device attributes,
which every terminal answers) and then for kitty graphics, waiting 0.1 s for an answer that
most terminals (xterm, VTE, tmux, Alacritty, Terminal.app) never send. That wait came
before every first frame on a terminal wide enough for a cover. Kitty's documentation
gives the way out: send the graphics query and then a device-attributes query; a terminal
that does not speak the protocol answers only the second, at once. Here both are sent
together (`ask`), and where the answer is no, one more device-attributes query is sent
before textual-image is imported (`answered_early`): its kitty question then reads that
answer first, is told no and stops; the rest of that answer is read away after it
(`drain`), so none of it reaches Textual as keys. Keys typed meanwhile (as ytplay is
launched, before it reads the answers) are kept apart from the answers, for the app.

POSIX terminals only; the caller keeps the terminal in cbreak mode (no echo) throughout."""

from __future__ import annotations

import os
import re
import select
import termios
import time
import tty
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

GRAPHICS_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
DEVICE_ATTRIBUTES = b"\x1b[c"
_ATTRIBUTES_ANSWER = re.compile(rb"\x1b\[\?([\d;]*)c")
_GRAPHICS_ANSWER = re.compile(rb"\x1b_Gi=31;([^\x1b]*)\x1b\\")
# What textual-image leaves of the early answer: it stops reading at the first byte that
# is not the start of a graphics answer.
_EARLY_ANSWER_LEFT = re.compile(rb"(?:\x1b?\[)?\?[\d;]*c")
# Any answer to what is asked at start (graphics, device attributes, the cell size).
_ANSWERS = re.compile(rb"\x1b_G[^\x1b]*\x1b\\|\x1b\[\?[\d;]*c|\x1b\[\d+;\d+;\d+t")


@dataclass(frozen=True)
class Drawing:
    """What the terminal said it can draw. `answered`: it answered at all. `typed`: keys
    typed meanwhile (as ytplay was launched), read with the answers and kept for the app."""

    answered: bool = False
    kitty: bool = False
    sixel: bool = False
    typed: bytes = b""


@contextmanager
def quiet(fd: int) -> Iterator[None]:
    """The terminal on `fd` in cbreak mode (answers are not echoed, nor held for a line)."""
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def ask(read_fd: int, write_fd: int, timeout: float = 1.0) -> Drawing:
    """Ask for kitty graphics and the device attributes at once; wait for the latter only."""
    os.write(write_fd, GRAPHICS_QUERY + DEVICE_ATTRIBUTES)
    got = _read_until(read_fd, _ATTRIBUTES_ANSWER, timeout)
    attributes = _ATTRIBUTES_ANSWER.search(got)
    typed = _ANSWERS.sub(b"", got)
    if attributes is None:
        return Drawing(typed=typed)
    graphics = _GRAPHICS_ANSWER.search(got, 0, attributes.start())
    return Drawing(answered=True, kitty=graphics is not None and graphics.group(1) == b"OK",
                   sixel=b"4" in attributes.group(1).split(b";"), typed=typed)


def answered_early(write_fd: int) -> None:
    """One more device-attributes query, whose answer a kitty-graphics question that
    follows reads first (and then stops)."""
    os.write(write_fd, DEVICE_ATTRIBUTES)


def drain(read_fd: int, timeout: float = 0.3, quiet_for: float = 0.03) -> bytes:
    """Read what is left of the early answer, up to its final `c`, and whatever follows
    until the terminal is quiet for `quiet_for` (textual-image may ask for the cell size
    meanwhile, and be answered after it stopped listening). Returns the keys typed
    meanwhile, without the answers."""
    got = _read_until(read_fd, _EARLY_ANSWER_LEFT, timeout)
    while select.select([read_fd], [], [], quiet_for)[0]:
        chunk = os.read(read_fd, 1024)
        if not chunk:
            break
        got += chunk
    return _ANSWERS.sub(b"", _EARLY_ANSWER_LEFT.sub(b"", got, count=1))


def _read_until(fd: int, end: re.Pattern[bytes], timeout: float) -> bytes:
    got = b""
    deadline = time.monotonic() + timeout
    while end.search(got) is None:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        got += chunk
    return got
