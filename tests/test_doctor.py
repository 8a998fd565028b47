"""`ytplay doctor`, run as the user runs it (a subprocess), with each problem provoked for
real: a broken config, a log folder under a regular file, a service with nothing
listening, a service refusing the password, libmpv that does not load, no JavaScript
runtime on PATH, an old yt-dlp. Each names the problem, the command that fixes it, and sets
the exit status."""

from __future__ import annotations

import datetime as dt
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tui.demo.service import DemoService
from tui.doctor.ytdlp import STALE_DAYS, version_date

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(ok|warning|error)\s+([^:]+): (.*?)(?: — fix: (.*))?$")


class Report:
    def __init__(self, r: subprocess.CompletedProcess[str]) -> None:
        self.status = r.returncode
        self.text = r.stdout + r.stderr
        assert "Traceback" not in self.text, self.text
        assert "\x1b" not in r.stdout  # no colour without a terminal
        self.lines: dict[str, list[tuple[str, str, str | None]]] = {}
        for raw in r.stdout.splitlines()[:-1]:
            m = LINE.match(raw)
            assert m, f"not a report line: {raw!r}\n{self.text}"
            self.lines.setdefault(m[2], []).append((m[1], m[3], m[4]))
        assert re.fullmatch(r"\d+ error\(s\), \d+ warning\(s\)", r.stdout.splitlines()[-1])

    def line(self, what: str) -> tuple[str, str, str | None]:
        assert what in self.lines, self.text
        (found,) = self.lines[what]
        return found


def doctor(tmp: Path, config: str | None = None, env: dict[str, str] | None = None,
           path: Path | None = None) -> Report:
    path = path or tmp / "config.toml"
    if config is not None:
        path.write_text(config)
    r = subprocess.run([sys.executable, "-m", "tui", "doctor", "--config", str(path)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env={**os.environ, **(env or {})})
    return Report(r)


def _service(name: str, base_url: str, password_env: str = "") -> str:
    extra = f'password_env = "{password_env}"\n' if password_env else ""
    return (f'[[services]]\nname = "{name}"\nbase_url = "{base_url}"\nclient_id = "ytplay"\n'
            f'username = "demo"\n{extra}')


def test_a_config_with_an_error_names_its_line_and_the_edit_command(tmp_path: Path) -> None:
    report = doctor(tmp_path, "[retry]\nattempts = \"many\"\n")
    level, found, fix = report.line("config")
    assert level == "error"
    assert f"{tmp_path / 'config.toml'}:2" in found and "attempts" in found
    assert fix == f"ytplay config edit --config {tmp_path / 'config.toml'}"
    assert report.status == 1


def test_a_config_path_that_is_a_folder_says_what_to_do(tmp_path: Path) -> None:
    report = doctor(tmp_path, path=tmp_path)
    level, found, fix = report.line("config")
    assert level == "error" and found == f"{tmp_path} is a folder, not a config file"
    assert fix is not None and fix.startswith("Name a file instead")
    assert report.status == 1


def test_a_log_folder_that_cannot_be_made_is_an_error(tmp_path: Path) -> None:
    # A path under a regular file fails for root too (modes would not).
    (tmp_path / "a-file").write_text("")
    report = doctor(tmp_path, f'[log]\nfile = "{tmp_path}/a-file/logs/ytplay.log"\n')
    level, found, fix = report.line("log folder")
    assert level == "error"
    assert f"{tmp_path / 'a-file'} is a file, not a folder" in found
    assert fix is not None and fix.startswith("ytplay config edit --config") \
        and "[log] file" in fix
    assert report.line("media cache folder")[0] == "ok"
    assert report.status == 1


def test_a_service_with_nothing_listening_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = doctor(tmp_path, _service("gone", f"http://127.0.0.1:{port}"))
    level, found, fix = report.line("service gone")
    assert level == "error"
    assert f"nothing answers at http://127.0.0.1:{port}" in found
    assert fix is not None and "ytplay config edit --config" in fix
    assert report.status == 1


def test_a_service_that_never_answers_cannot_hang_the_doctor(tmp_path: Path) -> None:
    with socket.socket() as s:  # connections are queued by the kernel and never answered
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        port = s.getsockname()[1]
        report = doctor(tmp_path, _service("mute", f"http://127.0.0.1:{port}"))
    level, found, fix = report.line("service mute")
    assert level == "error" and "did not answer within" in found
    assert report.line("libmpv")[0] == "ok"  # the other checks went on meanwhile
    assert report.status == 1


def test_a_service_refusing_the_password_is_an_error_and_the_password_stays_secret(
        tmp_path: Path, demo: DemoService) -> None:
    config = _service("demo", demo.base_url, "DEMO_PASSWORD")
    wrong = "hunter2-not-it"
    report = doctor(tmp_path, config, {"DEMO_PASSWORD": wrong})
    level, found, fix = report.line("service demo")
    assert level == "error" and "credentials refused" in found
    assert fix == "put the right password in $DEMO_PASSWORD"
    assert wrong not in report.text
    assert report.status == 1

    right = doctor(tmp_path, config, {"DEMO_PASSWORD": demo.options.password})
    assert right.line("service demo")[0] == "ok"
    assert right.status == 0, right.text  # warnings only (sound, D-Bus, ...)


def test_libmpv_that_does_not_load_is_an_error_with_the_install_command(
        tmp_path: Path) -> None:
    from tui.doctor.install import libmpv_install

    report = doctor(tmp_path, env={"YTPLAY_DOCTOR_LIBMPV": str(tmp_path / "libmpv.so.2")})
    level, found, fix = report.line("libmpv")
    assert level == "error" and found.startswith("not found")
    assert fix == libmpv_install()
    assert report.line("audio output")[0] == "warning"  # not checked without libmpv
    assert report.status == 1


def test_libmpv_found_says_its_version(tmp_path: Path) -> None:
    report = doctor(tmp_path)
    level, found, _ = report.line("libmpv")
    assert level == "ok" and re.match(r"mpv \d+\.\d+", found)
    assert report.line("config")[0] == "ok"
    assert report.status == 0, report.text


def test_no_javascript_runtime_on_path_is_a_warning(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    report = doctor(tmp_path, env={"PATH": str(empty)})
    level, found, fix = report.line("JavaScript runtime")
    assert level == "warning" and "none of deno, node, bun, quickjs" in found
    assert fix == "curl -fsSL https://deno.land/install.sh | sh"
    assert report.status == 0, report.text


def test_an_old_yt_dlp_is_a_warning_with_the_upgrade_command(tmp_path: Path) -> None:
    from yt_dlp.version import __version__

    released = version_date(__version__)
    assert released is not None
    later = released + dt.timedelta(days=STALE_DAYS + 30)
    report = doctor(tmp_path, env={"YTPLAY_DOCTOR_TODAY": later.isoformat()})
    level, found, fix = report.line("yt-dlp")
    assert level == "warning" and f"{__version__} is {STALE_DAYS + 30} days old" in found
    # The tests run in a virtual environment: its own pip upgrades yt-dlp.
    assert fix == f"{Path(sys.prefix) / 'bin' / 'pip'} install -U yt-dlp"
    assert report.status == 0, report.text

    fresh = doctor(tmp_path, env={"YTPLAY_DOCTOR_TODAY": released.isoformat()})
    assert fresh.line("yt-dlp")[0] == "ok"


def test_a_session_bus_that_cannot_be_reached_is_a_warning_with_the_reason(
        tmp_path: Path) -> None:
    gone = tmp_path / "no-bus-here"
    report = doctor(tmp_path, env={"DBUS_SESSION_BUS_ADDRESS": f"unix:path={gone}"})
    level, found, fix = report.line("media keys (D-Bus)")
    assert level == "warning" and "cannot be reached" in found
    assert fix is not None and "dbus-run-session" in fix
    assert report.status == 0, report.text


def test_a_stored_login_is_checked_and_kept_current(tmp_path: Path, demo: DemoService) -> None:
    import asyncio

    import httpx

    from tui.config.paths import tokens_file
    from tui.session.services import SessionApiClient
    from tui.session.store import TokenStore

    config = _service("demo", demo.base_url)  # no password_env: only the stored login
    nothing = doctor(tmp_path, config)
    level, found, fix = nothing.line("service demo")
    assert level == "warning" and "credentials not checked" in found
    assert fix is not None and "password_env" in fix

    async def login() -> str | None:
        async with httpx.AsyncClient() as http:
            client = SessionApiClient(demo.base_url, "ytplay", http)
            return (await client.password_grant("demo", demo.options.password)).refresh_token
    stored = asyncio.run(login())
    assert stored is not None
    store = TokenStore(tokens_file())
    store.save("demo", stored)
    report = doctor(tmp_path, config)
    assert report.line("service demo") == ("ok", f"{demo.base_url} answers and accepts the "
                                                 "stored login", None)
    assert stored not in report.text
    rotated = store.load("demo")
    assert rotated is not None  # a rotated token replaced the one used: the next start works
    assert doctor(tmp_path, config).line("service demo")[0] == "ok"


def test_the_upgrade_command_follows_how_ytplay_was_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.doctor.install import ytdlp_upgrade

    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "prefix", "/home/u/.local/share/pipx/venvs/ytplay")
    assert ytdlp_upgrade() == "pipx runpip ytplay install -U yt-dlp"
    monkeypatch.setattr(sys, "prefix", "/home/u/.local/ytplay")
    assert ytdlp_upgrade() == "/home/u/.local/ytplay/bin/pip install -U yt-dlp"
    monkeypatch.setattr(sys, "prefix", "/usr")
    assert ytdlp_upgrade().endswith(" -m pip install --user -U yt-dlp")


class _RedirectsLogins(http.server.BaseHTTPRequestHandler):
    """A service whose token endpoint sends the password on to another origin."""

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self.send_error(404)

    def do_POST(self) -> None:  # noqa: N802
        self.send_response(307)
        self.send_header("Location", "http://127.0.0.2:9/collect")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_login_redirected_to_another_origin_does_not_blame_the_password(
        tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RedirectsLogins)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        report = doctor(tmp_path, _service("home", url, "HOME_PASSWORD"),
                        {"HOME_PASSWORD": "hunter2-right"})
    finally:
        server.shutdown()
        server.server_close()
    level, found, fix = report.line("service home")
    assert level == "error" and "redirected" in found and "127.0.0.2:9" in found, found
    assert "credentials refused" not in found
    assert fix is not None and "password" not in fix and "base_url" in fix, fix
    assert "hunter2-right" not in report.text


def test_an_oauth2_service_whose_client_secret_is_not_set_is_an_error(tmp_path: Path) -> None:
    """The token endpoint answers, but ytplay could not log in: it said ok."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RedirectsLogins)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        config = (f'[[services]]\nname = "files"\nkind = "oauth2"\ntoken_url = "{url}/token"\n'
                  f'device_url = "{url}/device"\nclient_id = "ytplay"\n'
                  f'client_secret_env = "FILES_SECRET_FOR_DOCTOR"\nmedia_origins = ["{url}"]\n')
        env = {k: v for k, v in os.environ.items() if k != "FILES_SECRET_FOR_DOCTOR"}
        unset = doctor(tmp_path, config, env | {"FILES_SECRET_FOR_DOCTOR": ""})
        fresh = doctor(tmp_path, config, {"FILES_SECRET_FOR_DOCTOR": "s3cret-value"})
    finally:
        server.shutdown()
        server.server_close()
    level, found, fix = unset.line("service files")
    assert level == "error" and "$FILES_SECRET_FOR_DOCTOR is not set" in found, found
    assert fix is not None and "FILES_SECRET_FOR_DOCTOR" in fix
    level, found, fix = fresh.line("service files")
    assert level == "warning" and "not logged in" in found, found  # device_code, no token yet
    assert fix == "ytplay login files"
    assert "s3cret-value" not in fresh.text
