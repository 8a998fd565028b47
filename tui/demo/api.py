"""docs/PROTOCOL.md, "Tokens", "Library" and "Playback sessions"."""

from __future__ import annotations

import time

from aiohttp import web

from .art import cover_png
from .catalog import BY_ID, TRACKS
from .state import STATE, DemoState, error
from .tokens import GrantError

routes = web.RouteTableDef()


def _user(request: web.Request) -> str:
    """The bearer token's user; raises a 401 answer when it is missing or no good."""
    state = request.app[STATE]
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise _http(error(401, "invalid_token", "bearer token required"))
    try:
        return state.authority.verify(header[len("Bearer "):])
    except GrantError as e:
        state.counts["api:401"] += 1
        raise _http(error(401, e.code, str(e))) from None


def _http(response: web.Response) -> web.HTTPException:
    exc = web.HTTPException(text=response.text, content_type="application/json")
    exc.set_status(response.status)
    return exc


@routes.post("/oauth/token")
async def token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    form = await request.post()
    opts = state.options
    grant = form.get("grant_type")
    if form.get("client_id") != opts.client_id:
        return error(400, "invalid_client", "unknown client_id")
    state.counts[f"token:{grant}"] += 1
    if grant == "password":
        if form.get("username") != opts.username or form.get("password") != opts.password:
            return error(400, "invalid_grant", "wrong username or password")
        return web.json_response(state.authority.login(opts.username))
    if grant == "refresh_token":
        try:
            return web.json_response(state.authority.refresh(str(form.get("refresh_token"))))
        except GrantError as e:
            return error(400, e.code, str(e))
    return error(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")


@routes.get("/api/v1/library")
async def library(request: web.Request) -> web.Response:
    _user(request)
    origin = request.url.origin()
    items = [{"id": t.id, "title": t.title, "artist": t.artist, "duration": float(t.seconds),
              "image": f"{origin}/api/v1/media/{t.id}/cover"} for t in TRACKS]
    return web.json_response({"items": items})


@routes.get("/api/v1/media/{media_id}/cover")
async def cover(request: web.Request) -> web.Response:
    """The track's cover art: a PNG, for a signed-in user (bearer auth, like the library)."""
    state = request.app[STATE]
    _user(request)
    track = BY_ID.get(request.match_info["media_id"])
    if track is None:
        return error(404, "unknown_media", "no such media")
    state.counts["cover"] += 1
    return web.Response(body=cover_png(track), content_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})


def _stream(state: DemoState, request: web.Request, media_id: str, sid: str) -> dict[str, object]:
    path = f"/media/{media_id}.wav"
    query, expires = state.signer.sign(path, state.options.url_ttl, sid)
    return {"stream_url": f"{request.url.origin()}{path}?{query}", "expires_at": expires}


@routes.post("/api/v1/playback/session/start")
async def start(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = _user(request)
    body = await request.json()
    media_id = str(body.get("media_id"))
    if media_id not in BY_ID:
        return error(404, "unknown_media", f"no media {media_id!r}")
    state.reap()
    if sum(s.user == user for s in state.sessions.values()) >= state.options.stream_limit:
        state.counts["session:stream_limit"] += 1
        return error(403, "stream_limit", "too many concurrent streams; stop one first")
    session = state.new_session(user, media_id, str(body.get("device_id", "")))
    state.counts["session:start"] += 1
    return web.json_response({"session_id": session.id, **_stream(state, request, media_id, session.id),
                              "heartbeat_interval": state.options.heartbeat_interval}, status=201)


@routes.post("/api/v1/playback/session/{sid}/heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = _user(request)
    state.reap()
    session = state.sessions.get(request.match_info["sid"])
    if session is None or session.user != user:
        return error(404, "unknown_session", "session unknown or reaped; start a new one")
    body = await request.json()
    session.position = float(body.get("position") or 0.0)
    session.last_beat = time.monotonic()
    state.counts["session:heartbeat"] += 1
    return web.json_response(_stream(state, request, session.media_id, session.id))


@routes.post("/api/v1/playback/session/{sid}/stop")
async def stop(request: web.Request) -> web.Response:
    state = request.app[STATE]
    _user(request)
    state.sessions.pop(request.match_info["sid"], None)
    state.counts["session:stop"] += 1
    return web.Response(status=204)
