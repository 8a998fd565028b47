"""The real `ytplay --demo`, in a pseudo-terminal, read back through a terminal emulator."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Callable

import pyte

COLS, ROWS = 120, 36


class Terminal:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.screen = pyte.Screen(COLS, ROWS)
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
                    raise AssertionError(f"ytplay exited; screen:\n{self.text()}")
                self.raw += data
                self.stream.feed(data)
        return time.monotonic()

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def _position(screen: str) -> int | None:
    m = re.search(r"(\d+):(\d\d) / 3:04", screen)
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def test_demo_plays_in_a_real_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    # A device that does not exist: libmpv cannot open it, as on a machine without sound,
    # so the null-output fallback and the diversion of ALSA's stderr noise both happen.
    args = [sys.executable, "-m", "tui", "--demo", "--demo-port", "0",
            "--audio-device", "alsa/ytplay-no-such-device"]
    term = Terminal(args, env)
    try:
        start = time.monotonic()
        ui = term.wait_for(lambda s: "Now Playing" in s, timeout=20)
        playing = term.wait_for(lambda s: "Low Tide" in s and "▶ playing" in s, timeout=20)
        first = term.wait_for(lambda s: (_position(s) or 0) >= 1, timeout=20)
        term.wait_for(lambda s: (_position(s) or 0) >= 2, timeout=10)
        print(f"UI after {ui - start:.2f}s, playing {playing - ui:.2f}s after the UI appeared, "
              f"advancing {first - start:.2f}s after launch")
        assert playing - ui < 3
        assert first - start < 5, f"first position tick after {first - start:.1f}s"
        term.wait_for(lambda s: "no sound device" in s, timeout=5)
        assert b"ALSA lib" not in term.raw and b"Traceback" not in term.raw
        term.send(b"q")
        assert term.proc.wait(timeout=15) == 0
    finally:
        term.close()
    native = tmp_path / "state" / "ytplay" / "log" / "native-stderr.log"
    log = tmp_path / "state" / "ytplay" / "log" / "ytplay.log"
    assert "ALSA lib" in native.read_text()  # the noise went to the file, not the screen
    assert "playing Low Tide" in log.read_text()
