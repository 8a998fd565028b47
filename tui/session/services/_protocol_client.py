"""The client side of docs/PROTOCOL.md: tokens, library, playback sessions. Every failure is
raised as a ServiceError carrying a core Failure, so one table decides what happens next."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from tui.core.errors import ServiceError
from tui.core.expiry import lifetime_end, sane_interval, server_clock_offset
from tui.core.failures import Failure, Network
from tui.core.jwt_claims import unverified_exp
from tui.core.origins import redirect_target, same_origin
from tui.core.reach import causes, connect_failure
from tui.core.redact import redact
from tui.core.retry import parse_retry_after
from tui.core.sanitize import printable
from tui.core.sizefmt import human_size

from ._capped_body import read_capped

if TYPE_CHECKING:
    import httpx


T = TypeVar("T")
DEFAULT_HEARTBEAT = 30.0    # s, when the service names none that makes sense
MAX_REDIRECTS = 5
MESSAGE_CHARS = 200         # of an error body's `message` kept in the error's text
ERROR_BODY_BYTES = 16 << 10  # of an error body read for its code and message; past it, none
MAX_ANSWER_BYTES = 1 << 20   # of a JSON answer: tokens, a device code, a playback session
MAX_LIBRARY_BYTES = 16 << 20  # the library is one answer, every item in it
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    expires_at: float          # wall-clock Unix seconds, on our clock
    refresh_token: str | None


@dataclass(frozen=True)
class StreamGrant:
    url: str
    expires_at: float          # wall-clock Unix seconds, on our clock
    session_id: str | None = None
    heartbeat_interval: float | None = None


def network_failure(exc: httpx.TransportError) -> Failure:
    """A transport error as a core Failure. A connect that failed is read down to the OSError
    under it (tui/core/reach.py): a refused connection is this host's failure, no name or
    no route is the network's."""
    import httpx  # loaded on first use: after the first frame

    if isinstance(exc, httpx.ConnectTimeout):
        return Failure(network=Network.UNREACHABLE)
    if isinstance(exc, httpx.ConnectError):
        return Failure(network=connect_failure(causes(exc)))
    if isinstance(exc, httpx.TimeoutException):
        return Failure(network=Network.TIMEOUT)
    return Failure(network=Network.READ)


async def failure_of(response: httpx.Response, *, signed_url: bool = False) -> ServiceError:
    """The ServiceError for an error response opened with `stream`; reads its error body
    (docs/PROTOCOL.md, "Conventions") if any, and not past ERROR_BODY_BYTES."""
    import httpx  # loaded on first use: after the first frame

    code = message = None
    try:
        raw = await read_capped(response, ERROR_BODY_BYTES)  # past it: the status decides
        body = json.loads(raw) if raw else None
        if isinstance(body, dict):
            code, message = body.get("error"), body.get("message")
    except (ValueError, httpx.HTTPError):
        pass
    # `error` decides what happens next (tui/core/failures.py): only a short code counts
    # (RFC 6749, 5.2); a hostile server's object or paragraph there is no code at all.
    code = code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None
    message = printable(redact(message))[:MESSAGE_CHARS] if isinstance(message, str) else None
    retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
    where = redact(str(response.request.url.copy_with(query=None)))
    text = f"{response.status_code} {code or response.reason_phrase} from {where}"
    if message:
        text += f": {message}"
    return ServiceError(text, Failure(response.status_code, code, signed_url=signed_url),
                        retry_after=retry_after)


class SessionApiClient:
    def __init__(self, base_url: str, client_id: str, http: httpx.AsyncClient, *,
                 warn: Callable[[str], None] = lambda _text: None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.http = http
        # How far the service's clock is ahead of ours, from its `Date` headers: absolute
        # expiries it names are moved onto our clock with it.
        self.clock_offset = 0.0
        self._warn = warn
        self._warned: set[str] = set()

    def _odd(self, what: str, text: str) -> None:
        """An answer that makes no sense, replaced by a default: said once per kind."""
        if what not in self._warned:
            self._warned.add(what)
            self._warn(text)

    async def _call(self, method: str, path: str, *, token: str | None = None,
                    url: str | None = None, limit: int = MAX_ANSWER_BYTES,
                    **kwargs: Any) -> tuple[httpx.Response, bytes]:
        """The response and its body, at most `limit` bytes of it. `path` under base_url; or
        `url`, a full address, when the caller has checked that it is under the service's
        origin."""
        import httpx  # loaded on first use: after the first frame

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = url or self.base_url + path
        for _ in range(MAX_REDIRECTS + 1):
            try:
                # Every call here carries a credential (a password, a refresh token, a
                # bearer): redirects are followed by hand, and only within the origin.
                async with self.http.stream(method, url, headers=headers,
                                            follow_redirects=False, **kwargs) as response:
                    target = self._redirect(url, response)
                    if target is None:
                        return response, await self._body(response, limit)
                    url = target
            except httpx.TransportError as e:
                raise ServiceError(f"{type(e).__name__} talking to {self.base_url}",
                                   network_failure(e)) from None
        raise ServiceError(f"{self.base_url}: too many redirects",
                           Failure(response.status_code, "unsafe_redirect"))

    def _redirect(self, url: str, response: httpx.Response) -> str | None:
        """Where a redirect within the service's origin leads; None for an answer that is
        no redirect. A ServiceError for one that leaves the origin."""
        import httpx  # loaded on first use: after the first frame

        location = response.headers.get("Location")
        if not (response.is_redirect and location):
            return None
        target = redirect_target(url, location)
        if not same_origin(target, self.base_url):
            where = redact(str(httpx.URL(target).copy_with(query=None)))
            raise ServiceError(
                f"{self.base_url} redirected a request carrying credentials to {where}; "
                "not followed (credentials go only to the service's own origin: check "
                "base_url in [[services]])",
                Failure(response.status_code, "unsafe_redirect"))
        return target

    async def _body(self, response: httpx.Response, limit: int) -> bytes:
        """The body of an answer that is no redirect; a ServiceError for an error answer and
        for a body past `limit`: the service's fault, not retried."""
        offset = server_clock_offset(response.headers.get("Date"), time.time())
        if offset is not None:
            self.clock_offset = offset
        if response.status_code >= 400:
            raise await failure_of(response)
        body = await read_capped(response, limit)
        if body is None:
            where = redact(str(response.request.url.copy_with(query=None)))
            raise ServiceError(f"{response.status_code} from {where}: an answer larger than "
                               f"{human_size(limit)}; not read",
                               Failure(response.status_code, "too_large"))
        return body

    def _tokens(self, body: dict[str, Any]) -> TokenSet:
        access = body["access_token"]
        if not isinstance(access, str) or not access:
            raise TypeError("access_token")
        expires = lifetime_end(time.time(), expires_in=body.get("expires_in"),
                               expires_at=unverified_exp(access), offset=self.clock_offset,
                               default=300.0)
        refresh = body.get("refresh_token")
        if refresh is not None and not isinstance(refresh, str):
            raise TypeError("refresh_token")
        return TokenSet(access, expires, refresh)

    def _grant(self, b: dict[str, Any], session_id: str | None) -> StreamGrant:
        expires = lifetime_end(time.time(), expires_at=b.get("expires_at"),
                               offset=self.clock_offset, default=60.0)
        interval = None
        if session_id is not None:
            raw = b.get("heartbeat_interval")
            interval = sane_interval(raw) if raw is not None else DEFAULT_HEARTBEAT
            if interval is None:
                self._odd("heartbeat_interval", f"heartbeat_interval {str(raw)[:20]!r} makes "
                          f"no sense; using {DEFAULT_HEARTBEAT:.0f} s")
                interval = DEFAULT_HEARTBEAT
        return StreamGrant(str(b["stream_url"]), expires, session_id, interval)

    async def _answer(self, method: str, path: str, read: Callable[[Any], T], *,
                      token: str | None = None, limit: int = MAX_ANSWER_BYTES,
                      **kwargs: Any) -> T:
        """`read` applied to the JSON answer; an answer that is not what the protocol says
        (not JSON, a key missing, a wrong type) is a ServiceError like any other."""
        r, body = await self._call(method, path, token=token, limit=limit, **kwargs)
        try:
            return read(json.loads(body))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            where = redact(str(r.request.url.copy_with(query=None)))  # the endpoint asked
            raise ServiceError(f"{r.status_code} from {where}: not the answer the protocol "
                               f"describes ({type(e).__name__})",
                               Failure(r.status_code, "bad_answer")) from None

    async def password_grant(self, username: str, password: str) -> TokenSet:
        return await self._answer("POST", "/oauth/token", self._tokens, data={
            "grant_type": "password", "username": username, "password": password,
            "client_id": self.client_id})

    async def refresh_grant(self, refresh_token: str) -> TokenSet:
        return await self._answer("POST", "/oauth/token", self._tokens, data={
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.client_id})

    async def library(self, token: str) -> list[dict[str, Any]]:
        def read(b: Any) -> list[dict[str, Any]]:
            return [dict(item) for item in b["items"]]
        return await self._answer("GET", "/api/v1/library", read, token=token,
                                  limit=MAX_LIBRARY_BYTES)

    async def start_session(self, token: str, media_id: str, device_id: str) -> StreamGrant:
        return await self._answer("POST", "/api/v1/playback/session/start",
                                  lambda b: self._grant(b, str(b["session_id"])), token=token,
                                  json={"media_id": media_id, "device_id": device_id})

    async def heartbeat(self, token: str, session_id: str, position: float) -> StreamGrant:
        return await self._answer("POST", f"/api/v1/playback/session/{session_id}/heartbeat",
                                  lambda b: self._grant(b, None), token=token,
                                  json={"position": position})

    async def image(self, token: str, url: str, limit: int) -> bytes:
        """An image the service names (a library item's `image`), with the bearer token:
        only at the service's own origin. At most `limit` bytes."""
        if not same_origin(url, self.base_url):
            raise ValueError("not under the service's origin")
        _response, body = await self._call("GET", "", token=token, url=url, limit=limit)
        return body

    async def stop_session(self, token: str, session_id: str) -> None:
        await self._call("POST", f"/api/v1/playback/session/{session_id}/stop", token=token)
