"""The test-only site the misbehaving yt-dlp plugin (tests/ytdlp_plugin) resolves against:
a real aiohttp server on loopback that counts page fetches (one per resolve; flat look-ups
as items are queued are not counted) and the cookies they carry, answers the
page 503 as often as told, and serves a WAV only to the player client it is told to accept
(403 for any other)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from aiohttp import web

from tests.media_files import wav

PLUGIN_DIR = Path(__file__).resolve().parent / "ytdlp_plugin"


def load_plugin() -> None:
    """Put the plugin where yt-dlp looks: a `yt_dlp_plugins` package on sys.path, which
    yt-dlp's process (tui/adapters/ytdlp_worker.py) is started with."""
    if str(PLUGIN_DIR) not in sys.path:
        sys.path.insert(0, str(PLUGIN_DIR))


class MisbehavingSite:
    def __init__(self, media_dir: Path) -> None:
        self.media = wav(media_dir / "tone.wav", 30.0)
        self.hits: Counter[str] = Counter()          # page fetches by id: resolves
        self.failures: Counter[str] = Counter()      # 503s still to answer, by id
        self.accept_client = "android"               # the only player_client served
        self.refused: list[str] = []                  # clients refused with 403
        self.cookies: dict[str, str] = {}            # the Cookie header of resolves, by id
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, command: str, item: str) -> str:
        return f"http://127.0.0.1:{self.port}/ytplay-test/{command}/{item}"

    async def _page(self, request: web.Request) -> web.Response:
        item = request.match_info["id"]
        if "flat" in request.query:  # ytplay looking the item up as it is queued
            return web.json_response({"title": f"Item {item}", "duration": 30.0})
        self.hits[item] += 1
        self.cookies[item] = request.headers.get("Cookie", "")
        if self.failures[item] > 0:
            self.failures[item] -= 1
            return web.Response(status=503, text="try later")
        return web.json_response({"title": f"Item {item}", "duration": 30.0})

    async def _media(self, request: web.Request) -> web.StreamResponse:
        client = request.query.get("client", "")
        if client != self.accept_client:
            self.refused.append(client)
            return web.Response(status=403, text="forbidden for this client")
        return web.FileResponse(self.media)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ytplay-test/{cmd}/{id}", self._page)
        app.router.add_get("/media/{id}.wav", self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
