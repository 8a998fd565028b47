"""A hostile HLS server against the relay (tui/session/proxy/_hls_relay.py): a real aiohttp
server on loopback serving playlists no real one would, fetched by the relay through real httpx.
The relay runs on the UI loop, so what it does with a playlist must not hold the loop."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
from aiohttp import web

from tui.core.errors import ServiceError
from tui.core.failures import FailureClass
from tui.session.proxy import Upstream
from tui.session.proxy._hls_relay import MAX_PLAYLIST_BYTES, MAX_SEGMENT_BYTES, HlsRelay

SIGNED = "?expire=4102444800&sig=" + "a" * 64   # long, like a CDN's, valid until 2100
PATH_SECRET = "AJfQdSswRgIhAKpathSecret"


def _media(segments: int) -> str:
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for i in range(segments):
        lines += ["#EXTINF:2.000,", f"/seg/{i}.ts{SIGNED}"]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


@pytest.fixture
async def hostile():
    huge = _media(100_000).encode()  # made before the test: the server shares its loop

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=huge, content_type="application/vnd.apple.mpegurl")

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        line = ("#EXT-X-COMMENT:" + "x" * 1000 + "\n").encode()
        await response.write(b"#EXTM3U\n")
        for _ in range(2 * MAX_PLAYLIST_BYTES // len(line)):
            await response.write(line)
        return response

    async def segment(request: web.Request) -> web.StreamResponse:
        if request.match_info["n"] != "endless":
            return web.Response(body=b"\x47" * 188, content_type="video/mp2t")
        response = web.StreamResponse()
        await response.prepare(request)
        block = b"\x47" * (1 << 20)
        for _ in range((MAX_SEGMENT_BYTES >> 20) + 8):
            await response.write(block)
        return response

    async def refused(_request: web.Request) -> web.Response:
        return web.Response(status=403, text="expired")

    async def path_signed(_request: web.Request) -> web.Response:
        return web.Response(text=f"#EXTM3U\n#EXTINF:2,\n/videoplayback/expire/4102444800/"
                                 f"sig/{PATH_SECRET}/lsig/{PATH_SECRET}L/sq/0\n")

    async def endless_segment(_request: web.Request) -> web.Response:
        return web.Response(text="#EXTM3U\n#EXTINF:2,\n/seg/endless.ts\n#EXT-X-ENDLIST\n")

    async def loop(_request: web.Request) -> web.Response:
        return web.Response(text="#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nloop.m3u8\n")

    app = web.Application()
    app.router.add_get("/loop.m3u8", loop)
    app.router.add_get("/path-signed.m3u8", path_signed)
    app.router.add_get("/videoplayback/{tail:.*}", refused)
    app.router.add_get("/endless-segment.m3u8", endless_segment)
    app.router.add_get("/big.m3u8", big)
    app.router.add_get("/endless.m3u8", endless)
    app.router.add_get("/seg/{n}.ts", segment)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


class _Provider:
    def __init__(self, url: str) -> None:
        self.url = url
        self.read: list[tuple[float | None, bool]] = []

    def upstream(self, key: str) -> Upstream:
        return Upstream(self.url)

    def playlist_read(self, key: str, expires_at: float | None, live: bool) -> None:
        self.read.append((expires_at, live))

    def name(self, key: str) -> str:
        return key

    def answered(self, url: str, headers) -> None:
        pass  # its clock is ours

    def clock_offset(self, url: str) -> float:
        return 0.0

    def emit(self, event) -> None:
        pass


class _Stop(Exception):
    pass


async def _first_failure(url: str, segment: int | None = None) -> ServiceError:
    """What the relay hands its recovery first when libmpv asks for the playlist (or for
    `segment`); the recovery gives up at once."""
    import httpx

    errors: list[ServiceError] = []

    async def recover(key, upstream, error, failures, previous) -> None:
        errors.append(error)
        raise _Stop

    async with httpx.AsyncClient(timeout=60) as http:
        relay = HlsRelay(_Provider(url), http, recover)  # type: ignore[arg-type]
        with pytest.raises(_Stop):
            await (relay.playlist("k") if segment is None else relay.segment("k", segment))
    [error] = errors
    return error


async def test_a_playlist_of_100k_segments_does_not_hold_the_loop(
        hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    """13 MB, 100,000 segments (a VOD of 55 hours): read, checked and rewritten off the loop
    (parsed on it, it held the loop for ~2 s). Where each step ran is what is checked, not
    how late the loop was: that depends on the machine."""
    import httpx

    from tui.session.proxy import _hls_relay as hls_relay

    async def recover(key, upstream, error, failures, previous) -> None:
        raise AssertionError(f"nothing should fail here: {error}")

    ran_on: list[tuple[str, bool]] = []

    def where(name: str, step: Callable[..., Any]) -> Callable[..., Any]:  # a spy
        def spied(*args: Any, **kwargs: Any) -> Any:
            ran_on.append((name, threading.current_thread() is threading.main_thread()))
            return step(*args, **kwargs)
        return spied
    for name in ("parse_media", "for_player"):
        monkeypatch.setattr(hls_relay, name, where(name, getattr(hls_relay, name)))
    async with httpx.AsyncClient(timeout=60) as http:
        provider = _Provider(hostile + "/big.m3u8")
        relay = HlsRelay(provider, http, recover)  # type: ignore[arg-type]
        text = await relay.playlist("k")
        assert isinstance(text, str) and "\n99999.ts\n" in text and "sig=" not in text
        assert {name for name, _ in ran_on} == {"parse_media", "for_player"}
        assert not [name for name, on_the_loop in ran_on if on_the_loop], ran_on
        body, _ = await relay.segment("k", 99_999)
    assert body[:1] == b"\x47"
    [(expires_at, live)] = provider.read
    assert expires_at == 4102444800 and not live


@pytest.mark.parametrize("path, says", [
    # A body past MAX_PLAYLIST_BYTES is not read on (it was read whole, into memory).
    ("/endless.m3u8", "the HLS playlist is larger than 16 MiB; it cannot be relayed"),
    ("/loop.m3u8", "the HLS playlist cannot be relayed: a master playlist whose variant is a "
                   "master playlist"),
])
async def test_a_playlist_without_end_is_refused(hostile, path: str, says: str) -> None:
    """The stream cannot be relayed, deterministic (no retry), said once."""
    error = await _first_failure(hostile + path)
    assert error.failure_class is FailureClass.DETERMINISTIC
    assert says in str(error), str(error)


async def test_a_segment_that_never_ends_is_refused_at_the_cap(hostile) -> None:
    """It was read whole into memory, however long; now not past MAX_SEGMENT_BYTES."""
    error = await _first_failure(hostile + "/endless-segment.m3u8", 0)
    assert error.failure_class is FailureClass.DETERMINISTIC
    assert "a segment is larger than 128 MiB; it cannot be relayed" in str(error), str(error)


async def test_a_refused_segment_signed_in_its_path_is_reported_without_the_signature(
        hostile) -> None:
    """YouTube puts `sig` and `lsig` in the path of HLS segment URLs: the error that reaches
    the retry log, the Session panel and the log names the URL without them."""
    error = await _first_failure(hostile + "/path-signed.m3u8", 0)
    assert "403" in str(error) and "/videoplayback/" in str(error), str(error)
    assert PATH_SECRET not in str(error), str(error)


async def test_the_bearer_goes_to_no_segment_or_variant_at_another_origin() -> None:
    """A master at the stream's origin names a variant and segments at another origin
    (another port: another origin): the bearer goes with the master only."""
    import httpx

    seen: list[tuple[str, str | None]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((f"{request.host}{request.path}", request.headers.get("Authorization")))
        if request.path.endswith(".ts"):
            return web.Response(body=b"\x47" * 188, content_type="video/mp2t")
        return web.Response(text=playlists[request.path])

    runners = []
    for _ in range(2):
        app = web.Application()
        app.router.add_get("/{tail:.*}", record)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
    home, other = (f"http://127.0.0.1:{r.addresses[0][1]}" for r in runners)
    playlists = {
        "/master.m3u8": f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{other}/media.m3u8\n",
        "/media.m3u8": "#EXTM3U\n#EXTINF:2,\n/seg0.ts\n#EXT-X-ENDLIST\n",
    }

    class Bearing(_Provider):
        def upstream(self, key: str) -> Upstream:
            return Upstream(self.url, {"Authorization": "Bearer t0ken"}, token="t0ken")

    async def recover(key, upstream, error, failures, previous) -> None:
        raise AssertionError(f"nothing should fail here: {error}")

    try:
        async with httpx.AsyncClient(timeout=30) as http:
            relay = HlsRelay(Bearing(home + "/master.m3u8"), http,
                             recover)  # type: ignore[arg-type]
            await relay.playlist("k")
            body, _ = await relay.segment("k", 0)
    finally:
        for runner in runners:
            await runner.cleanup()
    assert body[:1] == b"\x47"
    origin_of = {home.removeprefix("http://"): "home", other.removeprefix("http://"): "other"}
    said = [(origin_of[path.split("/")[0]], path.split("/", 1)[1], auth) for path, auth in seen]
    assert said == [("home", "master.m3u8", "Bearer t0ken"), ("other", "media.m3u8", None),
                    ("other", "seg0.ts", None)], said
