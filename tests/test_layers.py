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


def _loaded(imports: str, watched: tuple[str, ...]) -> str:
    code = (f"import sys, {imports}; print(','.join(m for m in {watched!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_core_loads_no_ui_player_http_or_yt_dlp() -> None:
    core = "tui.core.queue, tui.core.expiry, tui.core.redact, tui.core.retry, tui.core.failures"
    assert _loaded(core, ("textual", "mpv", "yt_dlp", "httpx", "aiohttp")) == ""


def test_session_loads_no_ui_player_or_yt_dlp() -> None:
    assert _loaded("tui.session.playback, tui.session.manager", ("textual", "mpv", "yt_dlp")) == ""


def test_cli_parsing_imports_nothing_heavy() -> None:
    code = ("import sys, tui.cli; tui.cli.parser().parse_args(['--demo']);"
            "print(','.join(m for m in ('textual', 'mpv', 'yt_dlp', 'aiohttp') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == ""


def test_no_unused_imports_or_undefined_names() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    r = subprocess.run([str(ruff), "check", "tui", "tests"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
