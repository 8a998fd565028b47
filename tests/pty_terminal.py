"""A program in a pseudo-terminal, read back through a terminal emulator (pyte): the
end-to-end test and the first-paint benchmark drive ytplay (or a bare Textual app) this way.

Like a real terminal, it answers what a program may ask of it at start (device attributes,
cursor position) and tells its size in pixels too, so a program that asks does not wait
for answers no terminal would leave out."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path
from typing import IO, Callable

import pyte

COLS, ROWS = 120, 36
CELL = (10, 20)  # pixels, width × height


class _Screen(pyte.Screen):
    def __init__(self, cols: int, rows: int, answer: Callable[[str], None]) -> None:
        super().__init__(cols, rows)
        self._answer = answer

    def write_process_input(self, data: str) -> None:  # pyte's answers to queries
        self._answer(data)


class Terminal:
    def __init__(self, args: list[str], env: dict[str, str], *, cols: int = COLS,
                 rows: int = ROWS, stderr: int | IO[bytes] | None = None,
                 cwd: Path | None = None) -> None:
        """`args` with the terminal as its standard input and output, and as its standard
        error unless `stderr` says where else (as subprocess.Popen takes it)."""
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, cols * CELL[0], rows * CELL[1]))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave,
                                     stderr=slave if stderr is None else stderr, env=env,
                                     cwd=cwd, start_new_session=True)
        os.close(slave)
        self.screen = _Screen(cols, rows, lambda data: self.send(data.encode()))
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, cond: Callable[[str], bool], timeout: float) -> float:
        """Feed output into the emulator until `cond(screen)` holds; returns when it did."""
        deadline = time.monotonic() + timeout
        while not cond(self.text()):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"screen never matched; it shows:\n{self.text()}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError(f"the program exited; screen:\n{self.text()}")
                self.raw += data
                self.stream.feed(data)
        return time.monotonic()

    def read_to_end(self, timeout: float) -> bytes:
        """Everything the program writes until it exits (all of `raw`)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            try:
                data = os.read(self.master, 65536) if ready else b""
            except OSError:  # the program's side closed: it exited
                break
            if ready and not data:
                break
            self.raw += data
            self.stream.feed(data)
        else:
            raise AssertionError(f"the program did not exit; screen:\n{self.text()}")
        return self.raw

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def run_on_a_terminal(args: list[str], env: dict[str, str] | None = None, *,
                      cwd: Path | None = None,
                      timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`args` run to its end as typed in a terminal (80x24: too narrow to be asked what it
    draws) whose standard error was sent elsewhere (`2>file`): its status, what the terminal
    got (stdout, as sent) and what it wrote to standard error."""
    term = Terminal(args, dict(os.environ) if env is None else env, cols=80, rows=24,
                    stderr=subprocess.PIPE, cwd=cwd)
    stderr = term.proc.stderr
    assert stderr is not None
    said: list[bytes] = []
    reader = threading.Thread(target=lambda: said.append(stderr.read()), daemon=True)
    reader.start()
    try:
        drawn = term.read_to_end(timeout)
        status = term.proc.wait(timeout)
        reader.join(timeout)
    finally:
        term.close()
        stderr.close()
    return subprocess.CompletedProcess(args, status, drawn.decode(errors="replace"),
                                       b"".join(said).decode(errors="replace"))
