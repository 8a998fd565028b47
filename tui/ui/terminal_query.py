"""What the terminal can draw, and the size of its cells in pixels, asked in one round trip.

Kitty's documentation gives the way to ask about its graphics protocol without waiting on
terminals that never answer (most: xterm, VTE, tmux, Alacritty, Terminal.app): send the
graphics query and then a device-attributes query, which every terminal answers, in order;
a terminal that does not speak the protocol answers only the second. The device attributes
say whether it draws sixel (attribute 4). Where the terminal does not tell its size in
pixels with its size in cells, the cell size is asked in the same write (CSI 16 t).
Keys typed meanwhile (as ytplay is launched, before it reads the answers) are kept apart
from the answers, for the app.

POSIX terminals only; the caller keeps the terminal in cbreak mode (no echo) throughout."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import termios
import time
import tty
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

GRAPHICS_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
CELL_SIZE_QUERY = b"\x1b[16t"
DEVICE_ATTRIBUTES = b"\x1b[c"
_ATTRIBUTES_ANSWER = re.compile(rb"\x1b\[\?([\d;]*)c")
_GRAPHICS_ANSWER = re.compile(rb"\x1b_Gi=31;([^\x1b]*)\x1b\\")
_CELL_SIZE_ANSWER = re.compile(rb"\x1b\[6;(\d+);(\d+)t")
# Any answer to what is asked here.
_ANSWERS = re.compile(rb"\x1b_G[^\x1b]*\x1b\\|\x1b\[\?[\d;]*c|\x1b\[\d+;\d+;\d+t")


@dataclass(frozen=True)
class Drawing:
    """What the terminal said it can draw. `answered`: it answered at all. `cell`: a cell's
    width and height in pixels, where known. `typed`: keys typed meanwhile (as ytplay was
    launched), read with the answers and kept for the app."""

    answered: bool = False
    kitty: bool = False
    sixel: bool = False
    cell: tuple[int, int] | None = None
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


def pixel_cell(fd: int) -> tuple[int, int] | None:
    """A cell's width and height in pixels, from the size the terminal on `fd` tells with
    its size in cells; None where it tells none (many do not)."""
    try:
        rows, cols, width, height = struct.unpack(
            "HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    cell = width // cols if cols else 0, height // rows if rows else 0
    # Fewer pixels than cells is no size (a terminal that fills in garbage): asked instead.
    return cell if all(cell) else None


def ask(read_fd: int, write_fd: int, timeout: float = 1.0) -> Drawing:
    """Ask for kitty graphics, the cell size (unless the terminal tells it) and the device
    attributes at once; wait for the last answer only."""
    cell = pixel_cell(write_fd)
    os.write(write_fd, GRAPHICS_QUERY + (b"" if cell else CELL_SIZE_QUERY) + DEVICE_ATTRIBUTES)
    got = _read_until(read_fd, _ATTRIBUTES_ANSWER, timeout)
    attributes = _ATTRIBUTES_ANSWER.search(got)
    typed = _ANSWERS.sub(b"", got)
    if attributes is None:
        return Drawing(cell=cell, typed=typed)
    graphics = _GRAPHICS_ANSWER.search(got, 0, attributes.start())
    sized = _CELL_SIZE_ANSWER.search(got, 0, attributes.start())
    if cell is None and sized is not None and int(sized.group(1)) and int(sized.group(2)):
        cell = int(sized.group(2)), int(sized.group(1))  # answered as height; width
    return Drawing(answered=True, kitty=graphics is not None and graphics.group(1) == b"OK",
                   sixel=b"4" in attributes.group(1).split(b";"), cell=cell, typed=typed)


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
