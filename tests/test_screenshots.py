"""`make screenshots` works with no terminal, as in CI, and produces every picture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NAMES = ("playing-refresh-and-retry", "queue-filter", "config-editor", "help")


def test_screenshots_are_generated(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "tests.screenshots", str(tmp_path)],
                       capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0, r.stderr[-2000:]
    for name in NAMES:
        svg = (tmp_path / f"{name}.svg").read_text()
        assert svg.startswith("<svg") and "ytplay" in svg
        assert 'xml:space="preserve"' in svg  # or rsvg-convert drops spaces from the PNG
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "retrying" in (tmp_path / "playing-refresh-and-retry.svg").read_text()
