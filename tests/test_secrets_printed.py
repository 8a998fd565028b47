"""Every printer hides the same secrets (tui/core/redact.py): `ytplay config show`, the
config's errors on the terminal and in Events. (The log file: tests/test_log_file.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import config_watched, until
from tests.idle_app import FileHost, demo_items, idle_app
from tui.config.defaults import default_text
from tui.ui.app import YtplayApp
from tui.ui.widgets.event_log import EventLog

ROOT = Path(__file__).resolve().parents[1]
SECRETS = ("bearer-s3cret", "sid-s3cret", "key-s3cret", "proxy-s3cret", "video-s3cret",
           "header-s3cret")
WITH_SECRETS = """\
[mpv]
http-header-fields = "Authorization: Bearer bearer-s3cret,Cookie: sid=sid-s3cret,X-Api-Key: key-s3cret,X-Trace: on"

[ytdlp]
cookies_file = "~/cookies.txt"

[ytdlp.extra]
proxy = "http://me:proxy-s3cret@proxy.example:3128"
videopassword = "video-s3cret"
http_headers = {"X-Auth-Token" = "header-s3cret", "Accept-Language" = "en"}
"""
# A media origin with a password in it: refused (an origin has no user), and the error
# quotes what was written.
BAD_ORIGIN = """\
[[services]]
name = "files"
kind = "oauth2"
token_url = "https://auth.example/token"
client_id = "ytplay"
grant = "client_credentials"
client_secret_env = "FILES_SECRET"
media_origins = ["https://me:origin-s3cret@files.example/x"]
"""


def ytplay(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, "YTPLAY_CONFIG": str(config)})


def test_config_show_hides_headers_passwords_and_userinfo(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(WITH_SECRETS)
    shown = ytplay(path, "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert not [s for s in SECRETS if s in shown.stdout], shown.stdout
    out = shown.stdout
    assert ('http-header-fields = "Authorization: ***,Cookie: ***,X-Api-Key: ***,'
            'X-Trace: on"') in out
    assert 'proxy = "http://***@proxy.example:3128"' in out
    assert 'videopassword = "***"' in out and 'X-Auth-Token = "***"' in out
    assert 'Accept-Language = "en"' in out and 'cookies_file = "~/cookies.txt"' in out


def test_config_show_of_a_missing_file_shows_the_defaults_and_writes_nothing(
        tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    shown = ytplay(path, "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"# {path} does not exist; these are the defaults")
    assert 'theme = "textual-dark"' in shown.stdout
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_an_error_quoting_a_secret_hides_it(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(BAD_ORIGIN)
    check = ytplay(path, "config", "check")
    assert check.returncode == 1
    assert "services[0].media_origins" in check.stderr and "https://***@files.example" \
        in check.stderr
    assert "origin-s3cret" not in check.stderr


async def test_events_hide_what_the_configs_errors_quote(tmp_path: Path) -> None:
    """A file changed while ytplay runs, with an error that quotes a password: Events
    says where and what, without the password."""
    path = tmp_path / "config.toml"
    path.write_text(default_text())
    app = idle_app(demo_items(), config=FileHost(path))
    async with app.run_test(size=(120, 36), message_hook=(seen := []).append) as pilot:
        await until(pilot, lambda: config_watched(app))
        path.write_text(default_text() + "\n" + BAD_ORIGIN)
        await until(pilot, lambda: any(isinstance(m, YtplayApp.ConfigRejected) for m in seen))
        log = "".join(line.text for line in app.query_one(EventLog).lines)
        assert "services[0].media_origins" in log and "https://***@files.example" in log
        assert "origin-s3cret" not in log
