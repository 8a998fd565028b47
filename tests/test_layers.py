"""The layer rules of DESIGN.md, checked by import-linter and by importing for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]
    assert "0 broken" in r.stdout


def test_core_and_session_load_no_ui_player_or_http_client() -> None:
    code = ("import sys, tui.core.queue, tui.core.expiry, tui.core.redact, tui.session.playback;"
            "print(','.join(m for m in ('textual', 'mpv', 'yt_dlp', 'httpx', 'aiohttp')"
            " if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_cli_parsing_imports_nothing_heavy() -> None:
    code = ("import sys, tui.cli; tui.cli.parser().parse_args(['--demo']);"
            "print(','.join(m for m in ('textual', 'mpv', 'yt_dlp', 'aiohttp') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == ""
