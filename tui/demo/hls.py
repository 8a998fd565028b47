"""docs/PROTOCOL.md, "HLS streams": every track as VOD HLS, and a live station, behind
expiring signed URLs. The master and media playlists are signed for `url_ttl`, every
segment URL for `segment_ttl`: a player that holds a playlist longer than that must fetch
it again (or resolve the page again) to reach the next segment."""

from __future__ import annotations

import asyncio
import html
import json
import math

from aiohttp import web

from .catalog import BY_ID, LIVE_ID, LIVE_TITLE, LIVE_TRACK, Track
from .packager import Packaged, packaged
from .state import STATE, DemoState, error

routes = web.RouteTableDef()

_TS = "video/mp2t"
_M3U8 = "application/vnd.apple.mpegurl"


def _track(stream: str) -> Track | None:
    return LIVE_TRACK if stream == LIVE_ID else BY_ID.get(stream)


async def _packaged(state: DemoState, track: Track) -> Packaged:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, packaged, track, state.options.segment_seconds)


def _signed(state: DemoState, path: str, ttl: int) -> str:
    query, _ = state.signer.sign(path, ttl)
    return f"{path}?{query}"


def _valid(request: web.Request) -> bool:
    q = request.query
    return request.app[STATE].signer.valid(request.path, q.get("expire", ""), q.get("sig", ""))


def _expired(state: DemoState) -> web.Response:
    state.counts["hls:expired"] += 1
    return error(state.options.expired_status, "url_expired", "URL expired or signature bad")


def _checked(request: web.Request) -> tuple[str, Track] | web.Response:
    """The stream a playlist or segment request is for, or the answer refusing it."""
    stream = request.match_info["stream"]
    track = _track(stream)
    if track is None:
        return error(404, "unknown_media", "no such stream")
    if not _valid(request):
        return _expired(request.app[STATE])
    return stream, track


def live_edge(state: DemoState, pack: Packaged) -> int:
    """The newest segment of the live station: one more every segment's length of wall
    time since the service started (with a full window from the start)."""
    elapsed = state.options.now() - state.started_at
    return state.options.live_window - 1 + int(elapsed // pack.segment_seconds)


@routes.get("/hls/{stream}")
async def page(request: web.Request) -> web.Response:
    """A page naming the master playlist in JSON-LD, as yt-dlp's generic extractor
    finds it (an <audio> element would do too, but yt-dlp then numbers its title)."""
    state = request.app[STATE]
    stream = request.match_info["stream"]
    track = _track(stream)
    if track is None:
        return web.Response(status=404, text="<html><body>No such stream</body></html>",
                            content_type="text/html")
    title = LIVE_TITLE if stream == LIVE_ID else f"{track.title} (HLS)"
    src = f"{request.url.origin()}{_signed(state, f'/hls/{stream}/master.m3u8', state.options.url_ttl)}"
    art = f"{request.url.origin()}/art/{track.id}.png"
    ld: dict[str, object] = {"@context": "https://schema.org", "@type": "AudioObject",
                             "name": title, "contentUrl": src, "encodingFormat": _M3U8,
                             "byArtist": {"@type": "MusicGroup", "name": track.artist}}
    if stream != LIVE_ID:
        ld["duration"] = f"PT{track.seconds // 60}M{track.seconds % 60}S"
    e = html.escape
    text = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{e(title)} - {e(track.artist)}</title>
<meta property="og:title" content="{e(title)}">
<meta property="og:image" content="{e(art)}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body><h1>{e(title)}</h1><p>{e(track.artist)}</p>
</body></html>"""
    state.counts["hls:page"] += 1
    return web.Response(text=text, content_type="text/html")


@routes.get("/hls/{stream}/master.m3u8")
async def master(request: web.Request) -> web.Response:
    state = request.app[STATE]
    checked = _checked(request)
    if isinstance(checked, web.Response):
        return checked
    stream = checked[0]
    variant = _signed(state, f"/hls/{stream}/audio.m3u8", state.options.url_ttl)
    state.counts["hls:master"] += 1
    text = ("#EXTM3U\n#EXT-X-VERSION:3\n"
            f'#EXT-X-STREAM-INF:BANDWIDTH=80000,CODECS="mp4a.40.2"\n{variant}\n')
    return web.Response(text=text, content_type=_M3U8)


@routes.get("/hls/{stream}/audio.m3u8")
async def media_playlist(request: web.Request) -> web.Response:
    state = request.app[STATE]
    checked = _checked(request)
    if isinstance(checked, web.Response):
        return checked
    stream, track = checked
    pack = await _packaged(state, track)
    ttl = state.options.segment_ttl
    if stream == LIVE_ID:
        edge = live_edge(state, pack)
        seqs = range(max(0, edge - state.options.live_window + 1), edge + 1)
        durations = [pack.segment_seconds] * len(seqs)
        head = f"#EXT-X-MEDIA-SEQUENCE:{seqs[0]}\n"
        tail = ""
    else:
        seqs = range(pack.count)
        durations = [pack.duration(i) for i in seqs]
        head = "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        tail = "#EXT-X-ENDLIST\n"
    lines = ["#EXTM3U", "#EXT-X-VERSION:3",
             f"#EXT-X-TARGETDURATION:{math.ceil(max(durations))}"]
    body = "".join(f"#EXTINF:{d:.3f},\n{_signed(state, f'/hls/{stream}/{n}.ts', ttl)}\n"
                   for n, d in zip(seqs, durations))
    state.counts["hls:playlist"] += 1
    return web.Response(text="\n".join(lines) + "\n" + head + body + tail, content_type=_M3U8)


@routes.get(r"/hls/{stream}/{seq:\d{1,9}}.ts")
async def segment(request: web.Request) -> web.Response:
    state = request.app[STATE]
    checked = _checked(request)
    if isinstance(checked, web.Response):
        return checked
    stream, track = checked
    seq = int(request.match_info["seq"])
    pack = await _packaged(state, track)
    if stream == LIVE_ID:
        if seq > live_edge(state, pack):
            return error(404, "not_yet", "that segment is not live yet")
        make = pack.live_segment
    elif seq >= pack.count:
        return error(404, "unknown_segment", "no such segment")
    else:
        make = pack.segment
    body = await asyncio.get_running_loop().run_in_executor(None, make, seq)
    state.counts["hls:segment"] += 1
    state.segments_served.append((stream, seq))
    return web.Response(body=body, content_type=_TS)
