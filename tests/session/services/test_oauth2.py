"""Media behind a real OAuth 2.0 server (Authlib's, tests/oauth_server.py) on loopback, with
access tokens that live a few seconds: logged in with the device grant, played through the
loopback proxy and real libmpv (ao=null) across token lifetimes, a pause and a seek; the
rotated refresh token stored and reused; a 401 refreshed once and replayed once; the bearer
never at another origin; no secret in the logs or the session panel."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import pytest
from aiohttp import web

from tests.helpers import LEAN_CACHE, Recorder, counting_player
from tests.media_files import wav
from tests.oauth_server import CLIENT_SECRET, CONFIDENTIAL_CLIENT, PUBLIC_CLIENT, OAuthServer
from tui.core.errors import LoginRequired
from tui.core.leases import LeaseKind
from tui.core.nowplaying import PlayState
from tui.core.retry import RetryPolicy
from tui.factory import make_session
from tui.session.playback import Playback
from tui.session.services import OAuth2Client, TokenSet, device_login
from tui.session.store import TokenStore
from tui.session.streams import SessionManager

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
TTL = 8  # s an access token lives


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wav(tmp_path_factory.mktemp("oauth-media") / "song.wav", 120)


class PlainOrigin:
    """A loopback origin outside the service: serves the same audio to anyone and records
    the headers of every request that reaches it."""

    def __init__(self, audio: Path) -> None:
        self.audio = audio
        self.seen: list[dict[str, str]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(dict(request.headers))
        return web.FileResponse(self.audio, headers={"Content-Type": "audio/wav"})


@pytest.fixture
async def plain(audio: Path) -> AsyncIterator[PlainOrigin]:
    origin = PlainOrigin(audio)
    app = web.Application()
    app.router.add_get("/plain/{name}", origin.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield origin
    await runner.cleanup()


def server(audio: Path, plain: PlainOrigin, access_ttl: int) -> OAuthServer:
    return OAuthServer(audio, access_ttl=access_ttl, elsewhere=plain.url)


@pytest.fixture
def oauth(audio: Path, plain: PlainOrigin) -> Iterator[OAuthServer]:
    # 8 s: renewals come no closer than 5 s apart (RefreshRule.min_gap), so a token has to
    # live a little longer than that to be renewed ahead of its expiry.
    with server(audio, plain, access_ttl=TTL) as srv:
        yield srv


def approving(srv: OAuthServer, shown: list[str] | None = None):
    """The app's device login, with the user (the test) approving the code at the server's
    verification page as soon as it is shown."""
    async def device(client: OAuth2Client, name: str) -> TokenSet:
        def show(code) -> None:
            if shown is not None:
                shown.append(code.user_code)
            asyncio.get_running_loop().run_in_executor(None, srv.approve, code.user_code)
        return await device_login(client, name, show)
    return device


def add_service(session: SessionManager, srv: OAuthServer, *, device=None) -> None:
    session.add_oauth2_service(
        "files", token_url=f"{srv.base_url}/oauth/token", client_id=PUBLIC_CLIENT,
        device_url=f"{srv.base_url}/oauth/device", scopes=["media"], grant="device_code",
        media_origins=[srv.base_url], device=device or approving(srv))


@asynccontextmanager
async def playing(srv: OAuthServer, resolver, tmp_path: Path):
    """A session with the service, and a real libmpv player (ao=null) behind Playback."""
    session = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"),
                           policy=RetryPolicy(base=0.05, cap=0.5))
    add_service(session, srv)
    loads: list[str] = []
    player = counting_player(loads, ao="null", extra_options=LEAN_CACHE)
    pb = Playback(player, session)
    rec = Recorder(pb.bus)
    pb.attach()
    try:
        yield srv, session, pb, rec, loads
    finally:
        await pb.aclose()
        player.close()


@pytest.fixture
async def rig(oauth: OAuthServer, resolver, tmp_path: Path):
    async with playing(oauth, resolver, tmp_path) as parts:
        yield parts


def secrets_of(srv: OAuthServer) -> list[str]:
    with srv.state.lock:
        return [s for t in srv.state.tokens for s in (t.access_token, t.refresh_token) if s]


async def _seek_and_check(pb: Playback, rec: Recorder, delta: float) -> None:
    target = (rec.now.position or 0) + delta
    pb.seek(delta)
    await rec.wait_for(lambda: rec.now.position is not None
                       and abs(rec.now.position - target) < 1.0, timeout=30)
    landed = rec.now.position or 0
    await rec.wait_for(lambda: (rec.now.position or 0) >= landed + 1.0, timeout=30)


@pytest.mark.timeout(150)
async def test_device_login_then_plays_through_token_lifetimes_a_pause_and_a_seek(
        rig, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    srv, session, pb, rec, loads = rig
    pb.add([f"{srv.base_url}/media/song.wav"])
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING, timeout=60)
    assert srv.state.count(DEVICE) >= 1 and srv.state.decisions  # logged in by the device grant
    start = rec.now.position or 0
    # Two access-token lifetimes of playback (and more below: the pause, the seeks).
    await rec.wait_for(lambda: (rec.now.position or 0) >= start + 2 * TTL + 1, timeout=90)
    assert srv.state.count("refresh_token") >= 3           # renewed ahead, again and again

    pb.toggle_pause()
    await rec.wait_for(lambda: rec.now.state is PlayState.PAUSED)
    paused_at = rec.now.position or 0
    refreshes = srv.state.count("refresh_token")
    await asyncio.sleep(TTL + 2)  # the scenario itself: longer than an access token lives
    pb.toggle_pause()
    await rec.wait_for(lambda: (rec.now.position or 0) >= paused_at + 1.0, timeout=30)
    assert (rec.now.position or 0) < paused_at + 3.0       # carried on, did not jump
    assert srv.state.count("refresh_token") > refreshes    # renewed while paused, too

    await _seek_and_check(pb, rec, +40)
    await _seek_and_check(pb, rec, -20)

    assert rec.now.state is PlayState.PLAYING and len(loads) == 1
    assert pb.queue[0].title == "song.wav"                 # its file name, until tags say
    with srv.state.lock:  # all through the proxy: yt-dlp is not asked about covered URLs
        media = list(srv.state.media)
    assert len(media) >= 2                                 # the seeks asked again
    assert all(h.get("Authorization", "").startswith("Bearer ") for h in media)
    assert srv.state.refused == 0                          # never sent an expired token

    # The rotated refresh token is the one on disk, mode 0600.
    stored = TokenStore(tmp_path / "tokens.json").load("files")
    live = srv.state.find(refresh_token=stored)
    assert live is not None and not live.refresh_revoked
    assert stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode) == 0o600

    # The panel shows both tokens, and no secret is in a row or in the log.
    leases = {(lease.kind, lease.owner) for lease in session.book.values()}
    assert {(LeaseKind.ACCESS_TOKEN, "files"), (LeaseKind.REFRESH_TOKEN, "files")} <= leases
    ours = "\n".join(r.getMessage() for r in caplog.records  # not the test server's own
                     if not r.name.startswith(("authlib", "werkzeug")))
    shown = repr(session.book.values()) + ours + "".join(
        str(e.text) for e in rec.session_events)
    leaked = [s for s in secrets_of(srv) if s in shown]
    assert not leaked


@pytest.mark.timeout(90)
async def test_rotation_is_stored_and_reused_after_a_restart(oauth: OAuthServer, resolver,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    first = make_session(resolver, token_store=TokenStore(path))
    shown: list[str] = []
    add_service(first, oauth, device=approving(oauth, shown))
    tokens = first.services.oauth2["files"].tokens
    await tokens.token()
    assert len(shown) == 1
    before = path.read_text()
    await tokens.refresh()                                 # the server rotates the token
    after = path.read_text()
    assert after != before and stat.S_IMODE(path.stat().st_mode) == 0o600
    old = srv_token(oauth, before)
    assert old is not None and old.refresh_revoked         # the old one is dead at the server
    await first.aclose()

    async def no_login(client: OAuth2Client, name: str) -> TokenSet:
        raise AssertionError("logged in again instead of using the stored refresh token")
    second = make_session(resolver, token_store=TokenStore(path))
    add_service(second, oauth, device=no_login)
    devices = oauth.state.count(DEVICE)
    await second.services.oauth2["files"].tokens.token()
    assert oauth.state.count(DEVICE) == devices
    assert path.read_text() != after                       # rotated again, and stored
    await second.aclose()


def srv_token(srv: OAuthServer, file_text: str):
    return srv.state.find(refresh_token=json.loads(file_text)["services"]["files"]["refresh_token"])


@pytest.fixture
async def long_lived_rig(audio: Path, plain: PlainOrigin, resolver, tmp_path: Path):
    # Tokens that live 120 s: no renewal ahead of expiry happens during the test, so every
    # refresh counted is one a 401 caused.
    with server(audio, plain, access_ttl=120) as srv:
        async with playing(srv, resolver, tmp_path) as parts:
            yield parts


@pytest.mark.timeout(120)
async def test_a_401_refreshes_once_and_replays_once_then_holds(long_lived_rig) -> None:
    srv, session, pb, rec, loads = long_lived_rig
    pb.add([f"{srv.base_url}/media/song.wav"])
    pb.play(0, start=10.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING
                       and (rec.now.position or 0) > 11, timeout=60)
    assert srv.state.count("refresh_token") == 0

    srv.state.revoke_access()                              # every token handed out dies
    await _seek_and_check(pb, rec, +30)                    # libmpv asks again: 401
    assert srv.state.refused == 1
    assert srv.state.count("refresh_token") == 1           # one refresh, one replay
    assert rec.now.state is PlayState.PLAYING and len(loads) == 1

    srv.state.refuse_all = True                            # the fresh token is refused too
    pb.seek(+30)
    await rec.wait_for(lambda: rec.now.state is PlayState.HOLDING, timeout=60)
    assert srv.state.refused == 3                          # the 401, and the replay's 401
    assert srv.state.count("refresh_token") == 2           # refreshed once more, not looped
    assert pb.queue[0].status.value != "failed"            # held at its place, not skipped
    assert "a fresh token was refused too" in rec.now.status
    assert pb.queue.current_index == 0


@pytest.mark.timeout(90)
async def test_the_bearer_goes_to_no_other_origin(oauth: OAuthServer, plain: PlainOrigin,
                                                  session: SessionManager) -> None:
    add_service(session, oauth)
    # A covered URL that redirects elsewhere, and a URL elsewhere queued directly (yt-dlp).
    for key, ref in (("a", f"{oauth.base_url}/elsewhere/song.wav"),
                     ("b", f"{plain.url}/plain/song.wav")):
        _info, url, proxied = await session.open(key, ref)
        async with httpx.AsyncClient() as http:
            r = await http.get(url, headers={"Range": "bytes=0-1023"})
        assert r.status_code in (200, 206) and r.content[:4] == b"RIFF"
        session.close(key)
    assert len(plain.seen) >= 2
    assert not [h for h in plain.seen if "Authorization" in h or "authorization" in h]
    assert oauth.state.count(DEVICE) == 1                  # the covered URL was logged in for


async def test_client_credentials_and_password_grants(oauth: OAuthServer,
                                                      session: SessionManager,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("TEST_WRONG_SECRET", "not-it")
    session.add_oauth2_service(
        "machine", token_url=f"{oauth.base_url}/oauth/token", client_id=CONFIDENTIAL_CLIENT,
        secret_env="TEST_CLIENT_SECRET", scopes=["media"], grant="client_credentials",
        media_origins=[oauth.base_url])
    assert await session.services.oauth2["machine"].tokens.token()
    assert oauth.state.count("client_credentials") == 1
    rows = {(lease.kind, lease.owner) for lease in session.book.values()}
    assert (LeaseKind.ACCESS_TOKEN, "machine") in rows     # and no refresh token: it has none
    assert (LeaseKind.REFRESH_TOKEN, "machine") not in rows

    async def password() -> str:
        return "wonderland-pass"
    session.add_oauth2_service(
        "person", token_url=f"{oauth.base_url}/oauth/token", client_id=PUBLIC_CLIENT,
        scopes=["media"], grant="password", username="alice", password=password,
        media_origins=[oauth.base_url])
    assert await session.services.oauth2["person"].tokens.token()
    assert oauth.state.count("password") == 1

    session.add_oauth2_service(
        "wrong", token_url=f"{oauth.base_url}/oauth/token", client_id=CONFIDENTIAL_CLIENT,
        secret_env="TEST_WRONG_SECRET", grant="client_credentials",
        media_origins=[oauth.base_url])
    with pytest.raises(LoginRequired, match="refused the client credentials"):
        await session.services.oauth2["wrong"].tokens.token()

    monkeypatch.delenv("TEST_WRONG_SECRET")                # named, but not set
    with pytest.raises(LoginRequired, match=r"\$TEST_WRONG_SECRET is not set"):
        await session.services.oauth2["wrong"].tokens.token()
