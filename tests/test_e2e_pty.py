"""The real `ytplay --demo`, in a pseudo-terminal, read back through a terminal emulator."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from tests.pty_terminal import COLS, ROWS, Terminal


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
        # The demo's cover, in half-blocks (the emulator draws neither kitty graphics nor
        # sixel): textual-image loaded after the first frame, told what the terminal draws.
        term.wait_for(lambda s: "▀" in "".join(s.splitlines()[:6]), timeout=10)
        assert b"ALSA lib" not in term.raw and b"Traceback" not in term.raw
        term.send(b"q")
        assert term.proc.wait(timeout=15) == 0
    finally:
        term.close()
    native = tmp_path / "state" / "ytplay" / "log" / "native-stderr.log"
    log = tmp_path / "state" / "ytplay" / "log" / "ytplay.log"
    assert "ALSA lib" in native.read_text()  # the noise went to the file, not the screen
    assert "playing Low Tide" in log.read_text()
