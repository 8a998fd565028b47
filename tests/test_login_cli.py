"""`ytplay login NAME` in a subprocess against the real OAuth 2.0 server on loopback
(tests/oauth_server.py), the device code approved, denied or left to expire by the test as
a user would, at the server's verification page."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.media_files import wav
from tests.oauth_server import PUBLIC_CLIENT, OAuthServer
from tui.config.paths import tokens_file
from tui.session.store import TokenStore

CONFIG = """
[[services]]
name = "files"
kind = "oauth2"
token_url = "{base}/oauth/token"
device_url = "{base}/oauth/device"
client_id = "{client}"
scopes = ["media"]
media_origins = ["{base}"]
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[OAuthServer, Path]]:
    with OAuthServer(wav(tmp_path / "song.wav", 2), device_ttl=30) as srv:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.format(base=srv.base_url, client=PUBLIC_CLIENT))
        yield srv, config


def login(config: Path, name: str = "files") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tui", "login", name, "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, env=os.environ.copy())


def code_shown(proc: subprocess.Popen[str]) -> tuple[str, list[str]]:
    """The user code, from the lines printed up to the one that says it is waiting."""
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Waiting"):
            break
    m = re.search(r"enter the code (\S+)", "".join(lines))
    assert m, lines
    return m.group(1), lines


def test_login_prints_the_code_polls_and_stores_the_refresh_token(served) -> None:
    srv, config = served
    proc = login(config)
    code, lines = code_shown(proc)
    assert f"open {srv.base_url}/device" in "".join(lines)
    assert f"{srv.base_url}/device?user_code={code}" in "".join(lines)  # the complete URI too
    srv.approve(code)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Logged in to files" in out
    stored = TokenStore(tokens_file()).load("files")
    token = srv.state.find(refresh_token=stored)
    assert token is not None and not token.refresh_revoked
    assert stat.S_IMODE(tokens_file().stat().st_mode) == 0o600
    assert stored not in out + err


def test_a_denied_login_says_so_in_one_line(served) -> None:
    srv, config = served
    proc = login(config)
    code, _ = code_shown(proc)
    srv.approve(code, allow=False)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.count("\n") == 1 and "refused" in err
    assert not tokens_file().exists()


def test_an_expired_code_says_so(tmp_path: Path) -> None:
    with OAuthServer(wav(tmp_path / "song.wav", 2), device_ttl=2) as srv:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.format(base=srv.base_url, client=PUBLIC_CLIENT))
        proc = login(config)
        code_shown(proc)                          # and nobody enters it
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.count("\n") == 1 and "expired" in err


def test_a_token_file_that_cannot_be_written_is_one_line(served, tmp_path: Path,
                                                         monkeypatch) -> None:
    """Approved, then the data folder is a file: one line saying where and why (it was a
    traceback), exit 1; the refresh token is not printed."""
    srv, config = served
    blocked = tmp_path / "data-is-a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    proc = login(config)
    code, _ = code_shown(proc)
    srv.approve(code)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "could not be stored" in err and str(blocked) in err, err
    assert not any(t.refresh_token and t.refresh_token in err for t in srv.state.tokens), err


def test_an_unknown_service_is_one_line(served) -> None:
    _srv, config = served
    proc = login(config, "nope")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert err.count("\n") == 1 and "no OAuth2 service named 'nope'" in err and "files" in err


def test_a_service_with_another_grant_is_told_why(served) -> None:
    srv, config = served
    config.write_text(config.read_text() + 'grant = "password"\nusername = "alice"\n')
    proc = login(config)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.count("\n") == 1 and 'grant = "password"' in err


@pytest.fixture
async def portal(tmp_path: Path):
    """A device endpoint that works and a token endpoint behind a captive portal: every
    poll is answered with an HTML page."""
    from aiohttp import web

    async def device(_request: web.Request) -> web.Response:
        return web.json_response({"device_code": "d", "user_code": "WXYZ-1234",
                                  "verification_uri": "http://127.0.0.1/device",
                                  "expires_in": 5, "interval": 1})

    async def token(_request: web.Request) -> web.Response:
        return web.Response(text="<html>sign in to the hotel wifi</html>",
                            content_type="text/html")

    app = web.Application()
    app.router.add_post("/device", device)
    app.router.add_post("/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(base=base, client=PUBLIC_CLIENT)
                      .replace("/oauth/", "/"))
    yield config
    await runner.cleanup()


async def test_a_token_endpoint_that_never_answered_is_not_blamed_on_the_user(portal) -> None:
    """The code ran out while every poll failed: the line says the server could not be
    asked, not that the code was never entered (the user may well have entered it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui", "login", "files", "--config", str(portal),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1, out + err
    assert "the code works for 5 s;" in out.decode(), out  # not "0 min"
    line = err.decode()
    assert line.count("\n") == 1 and "Traceback" not in line, line
    assert "before it was entered" not in line, line
    assert "WXYZ-1234" in line and "not the answer" in line, line


def test_a_session_api_service_is_named_as_such(served) -> None:
    """Its name is in the config, as another kind: saying there is no such service (and
    listing the OAuth2 ones only) sent the user looking for a typo."""
    _srv, config = served
    config.write_text(config.read_text() + '\n[[services]]\nname = "home"\n'
                      'kind = "session-api"\nbase_url = "https://media.example"\n'
                      'client_id = "ytplay"\nusername = "demo"\n')
    proc = login(config, "home")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert err.count("\n") == 1 and "no OAuth2 service named" not in err, err
    assert 'home is a kind = "session-api" service' in err, err
