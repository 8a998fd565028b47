"""The client side of docs/PROTOCOL.md: tokens, library, playback sessions. Every failure is
raised as a ServiceError carrying a core Failure, so one table decides what happens next."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from tui.core.errors import ServiceError
from tui.core.failures import Failure, Network
from tui.core.jwt_claims import unverified_exp
from tui.core.redact import redact
from tui.core.retry import parse_retry_after


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    expires_at: float          # wall-clock Unix seconds
    refresh_token: str | None


@dataclass(frozen=True)
class StreamGrant:
    url: str
    expires_at: float          # wall-clock Unix seconds
    session_id: str | None = None
    heartbeat_interval: float | None = None


def network_failure(exc: httpx.TransportError) -> Failure:
    if isinstance(exc, httpx.ConnectError):
        return Failure(network=Network.CONNECT)
    if isinstance(exc, httpx.TimeoutException):
        return Failure(network=Network.TIMEOUT)
    return Failure(network=Network.READ)


async def failure_of(response: httpx.Response, *, signed_url: bool = False) -> ServiceError:
    """The ServiceError for an error response; reads its error body (docs/PROTOCOL.md,
    "Conventions") if any."""
    code = message = None
    try:
        await response.aread()
        body = response.json()
        code, message = body.get("error"), body.get("message")
    except (ValueError, AttributeError, httpx.HTTPError):
        pass
    retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
    where = redact(str(response.request.url.copy_with(query=None)))
    text = f"{response.status_code} {code or response.reason_phrase} from {where}"
    if message:
        text += f": {redact(str(message))}"
    return ServiceError(text, Failure(response.status_code, code, signed_url=signed_url),
                        retry_after=retry_after)


class SessionApiClient:
    def __init__(self, base_url: str, client_id: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.http = http

    async def _call(self, method: str, path: str, *, token: str | None = None,
                    **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self.http.request(method, self.base_url + path, headers=headers,
                                               **kwargs)
        except httpx.TransportError as e:
            raise ServiceError(f"{type(e).__name__} talking to {self.base_url}",
                               network_failure(e)) from None
        if response.status_code >= 400:
            raise await failure_of(response)
        return response

    def _tokens(self, body: dict[str, Any]) -> TokenSet:
        access = str(body["access_token"])
        expires = unverified_exp(access) or time.time() + float(body.get("expires_in", 300))
        return TokenSet(access, expires, body.get("refresh_token"))

    async def password_grant(self, username: str, password: str) -> TokenSet:
        r = await self._call("POST", "/oauth/token", data={
            "grant_type": "password", "username": username, "password": password,
            "client_id": self.client_id})
        return self._tokens(r.json())

    async def refresh_grant(self, refresh_token: str) -> TokenSet:
        r = await self._call("POST", "/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.client_id})
        return self._tokens(r.json())

    async def library(self, token: str) -> list[dict[str, Any]]:
        r = await self._call("GET", "/api/v1/library", token=token)
        return list(r.json()["items"])

    async def start_session(self, token: str, media_id: str, device_id: str) -> StreamGrant:
        r = await self._call("POST", "/api/v1/playback/session/start", token=token,
                             json={"media_id": media_id, "device_id": device_id})
        b = r.json()
        return StreamGrant(b["stream_url"], float(b["expires_at"]), b["session_id"],
                           float(b.get("heartbeat_interval") or 30))

    async def heartbeat(self, token: str, session_id: str, position: float) -> StreamGrant:
        r = await self._call("POST", f"/api/v1/playback/session/{session_id}/heartbeat",
                             token=token, json={"position": position})
        b = r.json()
        return StreamGrant(b["stream_url"], float(b["expires_at"]), session_id)

    async def stop_session(self, token: str, session_id: str) -> None:
        await self._call("POST", f"/api/v1/playback/session/{session_id}/stop", token=token)
