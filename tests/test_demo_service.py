"""The demo service over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re

import httpx
import pytest

from tui.core.expiry import parse_url_expiry
from tui.demo.catalog import TRACKS
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.demo.synth import RATE, pcm


def _media_url(demo: DemoService, media_id: str = "t1") -> str:
    page = httpx.get(demo.watch_url(media_id)).text
    return re.search(r'property="og:audio" content="([^"]+)"', page).group(1).replace("&amp;", "&")


def _login(demo: DemoService) -> dict:
    r = httpx.post(f"{demo.base_url}/oauth/token", data={
        "grant_type": "password", "username": "demo", "password": "demo", "client_id": "ytplay"})
    assert r.status_code == 200, r.text
    return r.json()


def _refresh(demo: DemoService, token: str) -> httpx.Response:
    return httpx.post(f"{demo.base_url}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": token, "client_id": "ytplay"})


def test_tracks_are_distinct_and_two_to_four_minutes() -> None:
    assert len(TRACKS) >= 6
    assert all(120 <= t.seconds <= 240 for t in TRACKS)
    openings = {pcm(t)[: RATE * 2] for t in TRACKS}  # first second of each
    assert len(openings) == len(TRACKS)
    assert pcm(TRACKS[0]) == pcm(TRACKS[0])  # deterministic


def test_byte_ranges(demo: DemoService) -> None:
    url = _media_url(demo)
    whole = httpx.head(url)
    size = int(whole.headers["Content-Length"])
    assert whole.headers["Accept-Ranges"] == "bytes"
    r = httpx.get(url, headers={"Range": "bytes=1000-1999"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 1000-1999/{size}"
    assert len(r.content) == 1000
    full = httpx.get(url).content
    assert full[1000:2000] == r.content
    assert full[:4] == b"RIFF"


def test_bad_signature_is_403(demo: DemoService) -> None:
    url = _media_url(demo)
    forged = re.sub(r"sig=([0-9a-f])", lambda m: "sig=" + ("0" if m.group(1) != "0" else "1"), url)
    r = httpx.get(forged)
    assert r.status_code == 403 and r.json()["error"] == "url_expired"


def test_expired_url_is_refused(demo_options: DemoOptions) -> None:
    demo_options.url_ttl = -1  # born expired: no waiting on the clock
    with DemoService(demo_options) as demo:
        url = _media_url(demo)
        assert parse_url_expiry(url) is not None
        assert httpx.get(url).status_code == 403
        demo.options.expired_status = 410
        assert httpx.get(url).status_code == 410


def test_refresh_rotates_and_reuse_revokes_the_family(demo: DemoService) -> None:
    first = _login(demo)
    assert first["token_type"] == "Bearer" and first["expires_in"] == demo.options.token_ttl
    second = _refresh(demo, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reuse = _refresh(demo, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # The whole family is gone: the newest refresh token and access token no longer work.
    assert _refresh(demo, second.json()["refresh_token"]).json()["error"] == "invalid_grant"
    lib = httpx.get(f"{demo.base_url}/api/v1/library",
                    headers={"Authorization": f"Bearer {second.json()['access_token']}"})
    assert lib.status_code == 401
    assert demo.state.authority.revocations == 1


def test_wrong_password_and_client(demo: DemoService) -> None:
    r = httpx.post(f"{demo.base_url}/oauth/token", data={
        "grant_type": "password", "username": "demo", "password": "x", "client_id": "ytplay"})
    assert r.json()["error"] == "invalid_grant"
    r = httpx.post(f"{demo.base_url}/oauth/token", data={"grant_type": "password",
                                                         "client_id": "other"})
    assert r.json()["error"] == "invalid_client"


def test_expired_access_token_is_401(demo_options: DemoOptions) -> None:
    demo_options.token_ttl = -1
    with DemoService(demo_options) as demo:
        token = _login(demo)["access_token"]
        r = httpx.get(f"{demo.base_url}/api/v1/library",
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["error"] == "token_expired"


def test_library_and_sessions_with_stream_limit(demo: DemoService) -> None:
    auth = {"Authorization": f"Bearer {_login(demo)['access_token']}"}
    base = demo.base_url
    items = httpx.get(f"{base}/api/v1/library", headers=auth).json()["items"]
    assert [i["id"] for i in items] == [t.id for t in TRACKS]
    started = []
    for _ in range(demo.options.stream_limit):
        r = httpx.post(f"{base}/api/v1/playback/session/start", headers=auth,
                       json={"media_id": "t1", "device_id": "dev"})
        assert r.status_code == 201
        started.append(r.json())
    over = httpx.post(f"{base}/api/v1/playback/session/start", headers=auth,
                      json={"media_id": "t1", "device_id": "dev"})
    assert over.status_code == 403 and over.json()["error"] == "stream_limit"
    s = started[0]
    assert httpx.get(s["stream_url"], headers={"Range": "bytes=0-99"}).status_code == 206
    beat = httpx.post(f"{base}/api/v1/playback/session/{s['session_id']}/heartbeat",
                      headers=auth, json={"position": 42.5})
    assert beat.status_code == 200 and beat.json()["expires_at"] >= s["expires_at"]
    assert httpx.post(f"{base}/api/v1/playback/session/{s['session_id']}/stop",
                      headers=auth).status_code == 204
    assert httpx.post(f"{base}/api/v1/playback/session/{s['session_id']}/heartbeat",
                      headers=auth, json={"position": 1}).json()["error"] == "unknown_session"
    # A slot is free again.
    assert httpx.post(f"{base}/api/v1/playback/session/start", headers=auth,
                      json={"media_id": "t2", "device_id": "dev"}).status_code == 201
    unknown = httpx.post(f"{base}/api/v1/playback/session/start", headers=auth,
                         json={"media_id": "nope"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_media"


def test_missed_heartbeats_reap_the_session(demo_options: DemoOptions) -> None:
    demo_options.heartbeat_interval = 0  # any session is three intervals late at once
    with DemoService(demo_options) as demo:
        auth = {"Authorization": f"Bearer {_login(demo)['access_token']}"}
        s = httpx.post(f"{demo.base_url}/api/v1/playback/session/start", headers=auth,
                       json={"media_id": "t1"}).json()
        r = httpx.post(f"{demo.base_url}/api/v1/playback/session/{s['session_id']}/heartbeat",
                       headers=auth, json={"position": 3})
        assert r.status_code == 404 and r.json()["error"] == "unknown_session"


def test_streams_can_demand_the_token(demo_options: DemoOptions) -> None:
    demo_options.streams_need_token = True
    with DemoService(demo_options) as demo:
        url = _media_url(demo)
        assert httpx.get(url).status_code == 401
        token = _login(demo)["access_token"]
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}",
                                       "Range": "bytes=0-9"}).status_code == 206


def test_fault_knobs(demo: DemoService) -> None:
    url = _media_url(demo)
    demo.options.fail_rate = 1.0
    r = httpx.get(url)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    demo.options.fail_rate = 0.0
    demo.options.drop_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url)  # the body stops short of its Content-Length
    demo.options.drop_rate = 0.0
    demo.options.latency = 0.3
    r = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and r.elapsed.total_seconds() >= 0.3
    assert demo.state.counts["fault:503"] == 1 and demo.state.counts["fault:drop"] == 1


def test_taken_port_is_not_fatal(demo: DemoService, demo_options: DemoOptions) -> None:
    demo_options.port = demo.port
    with DemoService(demo_options) as second:
        assert second.port != demo.port
        assert httpx.get(second.watch_url("t1")).status_code == 200


def test_fail_burst_and_url_revocation(demo: DemoService) -> None:
    url = _media_url(demo)
    demo.options.fail_next = 2
    assert [httpx.get(url, headers={"Range": "bytes=0-1"}).status_code for _ in range(3)] \
        == [503, 503, 206]
    demo.state.revoke_urls()
    assert httpx.get(url).status_code == 403
    assert httpx.get(_media_url(demo), headers={"Range": "bytes=0-1"}).status_code == 206
