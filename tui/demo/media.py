"""docs/PROTOCOL.md, "Stream URLs" and "Pages for yt-dlp": signed media with byte ranges,
and the pages yt-dlp resolves."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import html
import json
import os
import tempfile
from pathlib import Path

from aiohttp import web
from platformdirs import user_cache_path

from . import synth
from .art import cover_png
from .catalog import BY_ID, TRACKS, Track
from .state import STATE, error
from .tokens import GrantError

routes = web.RouteTableDef()

# Bump when synthesis changes so cached files from an older version are not served.
SYNTH_VERSION = 1


def media_file(media_dir: Path, track: Track) -> Path:
    """The track's WAV on disk, synthesized on first use (atomic: temp file + rename)."""
    path = media_dir / f"v{SYNTH_VERSION}-{track.id}.wav"
    if not path.exists():
        media_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=media_dir, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(synth.wav(track))
        os.replace(tmp, path)
    return path


@functools.cache
def repr_digest(path: Path) -> str:
    """The file's RFC 9530 `Repr-Digest` (sha-256 of the whole file, whatever range is
    asked): a client that keeps the media can check what it kept. Files never change under
    one name (SYNTH_VERSION is in it), so once per file and run."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()}:"


def _media_headers(path: Path) -> dict[str, str]:
    return {"Accept-Ranges": "bytes", "Content-Type": "audio/wav",
            "Repr-Digest": repr_digest(path)}


def _iso_duration(seconds: int) -> str:
    return f"PT{seconds // 60}M{seconds % 60}S"


@routes.get("/watch/{media_id}")
async def watch(request: web.Request) -> web.Response:
    state = request.app[STATE]
    track = BY_ID.get(request.match_info["media_id"])
    if track is None:
        return web.Response(status=404, text="<html><body>No such media</body></html>",
                            content_type="text/html")
    path = f"/media/{track.id}.wav"
    query, _ = state.signer.sign(path, state.options.url_ttl)
    src = f"{request.url.origin()}{path}?{query}"
    art = f"{request.url.origin()}/art/{track.id}.png"
    ld = {"@context": "https://schema.org", "@type": "AudioObject", "name": track.title,
          "contentUrl": src, "encodingFormat": "audio/wav",
          "duration": _iso_duration(track.seconds),
          "byArtist": {"@type": "MusicGroup", "name": track.artist}}
    e = html.escape
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{e(track.title)} - {e(track.artist)}</title>
<meta property="og:title" content="{e(track.title)}">
<meta property="og:type" content="music.song">
<meta property="og:audio" content="{e(src)}">
<meta property="og:audio:type" content="audio/wav">
<meta property="og:image" content="{e(art)}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body><h1>{e(track.title)}</h1><p>{e(track.artist)}</p>
</body></html>"""
    state.counts["watch"] += 1
    return web.Response(text=page, content_type="text/html")


@routes.get("/art/{media_id}.png")
async def art(request: web.Request) -> web.Response:
    """The cover a watch page names in og:image: public, like the page."""
    track = BY_ID.get(request.match_info["media_id"])
    if track is None:
        return web.Response(status=404, text="no such media")
    request.app[STATE].counts["art"] += 1
    return web.Response(body=cover_png(track), content_type="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})


@routes.get("/playlist/{count}")
async def playlist(request: web.Request) -> web.Response:
    """An RSS feed of `count` entries cycling through the catalogue: a long playlist for
    yt-dlp to expand lazily."""
    try:
        count = max(1, min(100_000, int(request.match_info["count"])))
    except ValueError:
        return web.Response(status=404, text="no such playlist")
    origin = request.url.origin()
    e = html.escape
    items = []
    for n in range(count):
        t = TRACKS[n % len(TRACKS)]
        items.append(f"<item><title>{e(t.title)} #{n + 1}</title>"
                     f"<link>{origin}/watch/{t.id}</link>"
                     f"<guid>{origin}/watch/{t.id}#{n + 1}</guid>"
                     f"<itunes:duration>{t.seconds}</itunes:duration></item>")
    feed = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
            f"<channel><title>Demo playlist of {count}</title><link>{origin}/</link>"
            + "".join(items) + "</channel></rss>")
    request.app[STATE].counts["playlist"] += 1
    return web.Response(text=feed, content_type="application/rss+xml")


async def _paced(request: web.Request, path: Path, rate: int,
                 cut: bool) -> web.StreamResponse:
    """Answer a media request by hand: at `rate` bytes/s (0: at once), and with `cut`,
    closing the connection after 256 KiB of the body."""
    size = path.stat().st_size
    start = request.http_range.start or 0
    resp = web.StreamResponse(status=206 if "Range" in request.headers else 200)
    resp.headers.update(_media_headers(path))
    if resp.status == 206:
        resp.headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
    resp.content_length = size - start
    await resp.prepare(request)
    left = 256 * 1024 if cut else size - start
    piece = max(4096, rate // 10) if rate else left
    with path.open("rb") as f:
        f.seek(start)
        while left > 0 and (data := f.read(min(piece, left))):
            await resp.write(data)
            left -= len(data)
            if rate:
                await asyncio.sleep(len(data) / rate)
    if cut:
        assert request.transport is not None
        request.transport.close()
    else:
        await resp.write_eof()
    return resp


@routes.get("/media/{media_id}.wav")
async def media(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    opts = state.options
    track = BY_ID.get(request.match_info["media_id"])
    if track is None:
        return error(404, "unknown_media", "no such media")
    q = request.query
    if not state.signer.valid(request.path, q.get("expire", ""), q.get("sig", ""),
                              q.get("sid", "")):
        state.counts["media:expired"] += 1
        return error(opts.expired_status, "url_expired", "stream URL expired or signature bad")
    if opts.streams_need_token:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            state.authority.verify(token)
        except GrantError as e:
            state.counts["media:401"] += 1
            return error(401, e.code, str(e))
    media_dir = opts.media_dir or user_cache_path("ytplay") / "demo-media"
    loop = asyncio.get_running_loop()
    path = await loop.run_in_executor(None, media_file, media_dir, track)
    headers = await loop.run_in_executor(None, _media_headers, path)
    ranged = "Range" in request.headers
    state.counts["media:206" if ranged else "media:200"] += 1
    state.media_ranges.append(request.headers.get("Range"))
    if opts.drop_rate > 0 and state.rng.random() < opts.drop_rate:
        state.counts["fault:drop"] += 1
        return await _paced(request, path, opts.media_rate, cut=True)
    if opts.media_rate > 0:
        return await _paced(request, path, opts.media_rate, cut=False)
    # FileResponse answers Range requests itself: 206, Content-Range, 416 when out of range.
    return web.FileResponse(path, headers=headers)
