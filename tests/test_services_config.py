"""`[[services]]` in config.toml: loading, errors, and logging in through the dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.helpers import Recorder, until
from tui.config.validate import ConfigError, load_text
from tui.core.nowplaying import PlayState
from tui.demo.service import DemoService
from tui.factory import add_configured_services
from tui.factory import make_session
from tui.session.playback import Playback
from tui.session.store import TokenStore
from tui.ui.app import YtplayApp
from tui.ui.screens.login import LoginScreen

GOOD = """
# my media server
[[services]]
name = "home"
kind = "session-api"
base_url = "{base}"
client_id = "ytplay"
username = "demo"
password_env = "YTPLAY_TEST_PASSWORD"
"""


OAUTH2 = """
[[services]]
name = "{name}"
kind = "oauth2"
token_url = "https://auth.example/token"
device_url = "https://auth.example/device"
client_id = "ytplay"
media_origins = ["{origin}"]
"""


def load_services(f: Path):
    return load_text(f, f.read_text()).services


def test_loads_services(tmp_path: Path) -> None:
    f = tmp_path / "config.toml"
    f.write_text(GOOD.format(base="https://media.example"))
    [svc] = load_services(f)
    assert (svc.name, svc.base_url, svc.username, svc.password_env) == \
        ("home", "https://media.example", "demo", "YTPLAY_TEST_PASSWORD")


@pytest.mark.parametrize("text, message", [
    ("[[services]\nname='x'", ":1: TOML syntax"),
    ("[[services]]\nname='x'\nbase_url='https://a'\nclient_id='c'",
     ":1: services[0].username: is required"),
    (GOOD.format(base="https://a") * 2, ":13: services[1].name: 'home' is already the name"),
    (GOOD.format(base="ftp://a"),
     ":6: services[0].base_url: must be an http:// or https:// URL (got 'ftp://a')"),
    (GOOD.format(base="https://a").replace("session-api", "jellyfin"), ":5: services[0].kind"),
    (GOOD.format(base="https://a") + "pasword = 'x'\n",
     ":10: services[0].pasword: unknown key 'pasword' (did you mean 'password_env'?)"),
    # Two OAuth2 services over one origin (spelled two ways): a URL there would get the
    # first's bearer token only, the second would never be used.
    (OAUTH2.format(name="a", origin="https://files.example") +
     OAUTH2.format(name="b", origin="https://FILES.example:443"),
     ":16: services[1].media_origins: https://FILES.example:443 is already a media origin of "
     "services[0]"),
])
def test_errors_name_the_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "config.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_services(f)
    assert f"{f}{message}" in str(e.value)


async def _app_with_service(demo: DemoService, player, resolver, tmp_path: Path):
    f = tmp_path / "config.toml"
    f.write_text(GOOD.format(base=demo.base_url))
    session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"))
    pb = Playback(player, session)
    pb.queue.add(["home:t2"])
    app = YtplayApp(pb, play_index=0)
    add_configured_services(session, load_services(f), lambda: app)
    return app, pb


async def test_password_from_the_environment(demo, player, resolver, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YTPLAY_TEST_PASSWORD", "demo")
    app, pb = await _app_with_service(demo, player, resolver, tmp_path)
    async with app.run_test(size=(120, 36)):
        tap = Recorder(pb.bus)
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        assert tap.now.title == "Copper Lanterns"
        assert not isinstance(app.screen, LoginScreen)
    stored = (tmp_path / "tokens.json").read_text()
    assert "refresh_token" in stored and "demo" not in stored  # the password never is


async def test_login_dialog_when_no_password_is_configured(demo, player, resolver,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YTPLAY_TEST_PASSWORD", raising=False)
    app, pb = await _app_with_service(demo, player, resolver, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        tap = Recorder(pb.bus)
        await until(pilot, lambda: isinstance(app.screen, LoginScreen) and bool(app.screen.query(Input)), 15)
        app.screen.query_one(Input).value = "wrong"
        await pilot.press("enter")
        await tap.wait_for(lambda: tap.now.status.startswith("paused:"))
        assert "refused the login" in tap.now.status      # held, with the reason, not skipped
        assert pb.queue[0].status.value == "queued"
        await pilot.press("space")                        # try again
        await until(pilot, lambda: isinstance(app.screen, LoginScreen) and bool(app.screen.query(Input)), 15)
        app.screen.query_one(Input).value = "demo"
        await pilot.press("enter")
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        assert tap.now.title == "Copper Lanterns"
