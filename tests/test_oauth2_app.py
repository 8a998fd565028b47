"""`[[services]] kind = "oauth2"` in config.toml: its checks, and the app's device login
dialog against the real OAuth 2.0 server on loopback (tests/oauth_server.py), with real
libmpv (ao=null)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator

import pytest
from textual.widgets import Static

from tests.helpers import Recorder, until
from tests.media_files import wav
from tests.oauth_server import PUBLIC_CLIENT, OAuthServer
from tui.config.validate import ConfigError, load_text
from tui.core.nowplaying import PlayState
from tui.factory import add_configured_services, make_session
from tui.session.playback import Playback
from tui.session.store import TokenStore
from tui.ui.app import YtplayApp
from tui.ui.screens.device_login import DeviceLoginScreen

GOOD = """\
[[services]]
name = "files"
kind = "oauth2"
token_url = "{base}/oauth/token"
device_url = "{base}/oauth/device"
client_id = "{client}"
scopes = ["media"]
media_origins = ["{base}"]
"""


@pytest.mark.parametrize("change, message", [
    (("device_url", "#device_url"), ':1: services[0]: grant = "device_code" needs device_url'),
    (("scopes", "grant = 'client_credentials'\nscopes"),
     ':1: services[0]: grant = "client_credentials" needs client_secret_env'),
    (('media_origins = ["https://a"]', "media_origins = []"),
     ":8: services[0].media_origins: must hold at least 1 item (got [])"),
    (('media_origins = ["https://a"]', 'media_origins = ["https://a/files"]'),
     ":8: services[0].media_origins[0]: must be an origin"),
    (("client_id", "client_secret = 'x'\nclient_id"),
     ":6: services[0].client_secret: unknown key 'client_secret' (did you mean "
     "'client_secret_env'?)"),
    (('kind = "oauth2"', 'kind = "oauth3"'),
     ':3: services[0].kind: must be one of "session-api", "oauth2"'),
])
def test_each_kind_is_checked_with_clear_messages(tmp_path: Path, change: tuple[str, str],
                                                  message: str) -> None:
    f = tmp_path / "config.toml"
    f.write_text(GOOD.format(base="https://a", client="c").replace(*change))
    with pytest.raises(ConfigError) as e:
        load_text(f, f.read_text())
    assert f"{f}{message}" in str(e.value)


def test_an_oauth2_service_loads(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text(GOOD.format(base="https://a", client="c"))
    [svc] = load_text(f, f.read_text()).services
    assert (svc.kind, svc.grant, svc.media_origins) == ("oauth2", "device_code", ["https://a"])


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[OAuthServer]:
    with OAuthServer(wav(tmp_path / "song.wav", 60)) as server:
        yield server


def _app(srv: OAuthServer, player, resolver, tmp_path: Path) -> tuple[YtplayApp, Playback]:
    f = tmp_path / "config.toml"
    f.write_text(GOOD.format(base=srv.base_url, client=PUBLIC_CLIENT))
    session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"))
    pb = Playback(player, session)
    pb.queue.add([f"{srv.base_url}/media/song.wav"])
    app = YtplayApp(pb, play_index=0)
    add_configured_services(session, load_text(f, f.read_text()).services, lambda: app)
    return app, pb


def _code_on_screen(app: YtplayApp) -> str | None:
    screen = app.screen
    if not isinstance(screen, DeviceLoginScreen) or screen.code is None:
        return None
    text = str(screen.query_one("#device-code", Static).render())
    return text if text == screen.code.user_code else None


@pytest.mark.timeout(90)
async def test_the_dialog_shows_the_code_and_playback_starts_once_approved(
        srv: OAuthServer, player, resolver, tmp_path: Path) -> None:
    app, pb = _app(srv, player, resolver, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        tap = Recorder(pb.bus)
        await until(pilot, lambda: _code_on_screen(app) is not None, 30)
        code = _code_on_screen(app)
        assert code is not None
        where = str(app.screen.query_one("#device-complete", Static).render())
        assert f"{srv.base_url}/device?user_code={code}" in where
        await asyncio.to_thread(srv.approve, code)          # the user, in a browser
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING, timeout=60)
        assert not isinstance(app.screen, DeviceLoginScreen)
    assert TokenStore(tmp_path / "tokens.json").load("files")


@pytest.mark.timeout(90)
async def test_escape_cancels_the_login_and_holds(srv: OAuthServer, player, resolver,
                                                  tmp_path: Path) -> None:
    app, pb = _app(srv, player, resolver, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        tap = Recorder(pb.bus)
        await until(pilot, lambda: _code_on_screen(app) is not None, 30)
        await pilot.press("escape")
        await tap.wait_for(lambda: tap.now.state is PlayState.HOLDING, timeout=30)
        assert "cancelled" in tap.now.status
        assert pb.queue[0].status.value == "queued"            # held, not skipped
        await pilot.press("space")                             # and it asks again
        await until(pilot, lambda: _code_on_screen(app) is not None, 30)
        await asyncio.to_thread(srv.approve, _code_on_screen(app) or "")
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING, timeout=60)


def test_config_show_names_the_endpoints(tmp_path: Path) -> None:
    import subprocess
    import sys

    f = tmp_path / "config.toml"
    f.write_text(GOOD.format(base="https://auth.example", client="c"))
    shown = subprocess.run([sys.executable, "-m", "tui", "config", "show", "--config", str(f)],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    assert 'token_url = "https://auth.example/oauth/token"' in shown  # where, not a secret
    assert 'kind = "oauth2"' in shown and "***" not in shown
