"""Media behind a standard OAuth 2.0 server (`[[services]] kind = "oauth2"`): a plain URL
under one of the service's media origins plays through the loopback proxy with
`Authorization: Bearer` attached, and only there (docs/ARCHITECTURE.md, "OAuth2 services").

The tokens are the session protocol's machinery (`TokenManager`): refreshed ahead of expiry
while an item needs them, single-flight, the rotated refresh token on disk before the new
access token is used. What differs is the login, by the configured grant."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Awaitable, Callable
from urllib.parse import unquote, urlsplit

from tui.core.errors import LoginRequired, ServiceError
from tui.core.failures import FailureClass
from tui.core.models import StreamInfo
from tui.core.origins import allowed
from tui.session.leases import Retrier
from tui.session.services import LoginGrant, OAuth2Client, TokenManager, TokenSet

from ._sources import OnRetry, Stream

# The app's device login: runs the flow (tui/session/services/_device_login.py) in a dialog.
DeviceFlow = Callable[[OAuth2Client, str], Awaitable[TokenSet]]


@dataclass
class OAuth2Service:
    name: str
    client: OAuth2Client
    tokens: TokenManager
    origins: frozenset[str]       # the only origins its bearer token goes to

    def covers(self, url: str) -> bool:
        return allowed(url, self.origins)


def login_grant(name: str, client: OAuth2Client, grant: str, retrier: Retrier, *,
                seed: Callable[[], str | None] = lambda: None,
                device: DeviceFlow | None = None) -> LoginGrant | None:
    """How service `name` logs in when it has no refresh token that works; None for the
    password grant, which the token manager does itself (asking for the password)."""
    resource = f"access token · {name}"

    async def retried(call: Callable[[], Awaitable[TokenSet]], refused: str) -> TokenSet:
        try:
            return await retrier.run(resource, call)
        except ServiceError as e:
            if e.failure_class is FailureClass.DETERMINISTIC:
                raise LoginRequired(f"{name}: {refused} "
                                    f"({e.failure.code or e.failure.status})") from None
            raise

    async def client_credentials() -> TokenSet:
        return await retried(client.client_credentials_grant,
                             "the server refused the client credentials; check client_id "
                             "and the secret in client_secret_env")

    async def from_seed() -> TokenSet:
        token = seed()
        if not token:
            raise LoginRequired(f"{name}: no refresh token; put one in refresh_token_env")
        return await retried(lambda: client.refresh_grant(token),
                             "the server refused the refresh token from refresh_token_env; "
                             "put a new one there")

    async def by_device() -> TokenSet:
        if device is None:
            raise LoginRequired(f"{name}: log in with `ytplay login {name}`")
        return await device(client, name)

    return {"client_credentials": client_credentials, "refresh_token": from_seed,
            "device_code": by_device}.get(grant)


def _title(url: str) -> str:
    """A plain URL's title until the player knows better: its file name."""
    parts = urlsplit(url)
    name = unquote(PurePosixPath(parts.path).name)
    return name or parts.netloc


class BearerUrlSource:
    """A plain URL under an OAuth2 service's media origins. The URL itself never expires;
    what does is the token, a lease of its own, refreshed while the item is open."""

    heartbeat_interval = None

    def __init__(self, service: OAuth2Service, url: str) -> None:
        self.service = service
        self.url = url
        self.tokens: TokenManager | None = service.tokens
        self.bearer_origins = service.origins

    @property
    def clock_offset(self) -> float:
        return self.service.client.clock_offset

    async def open(self) -> tuple[StreamInfo, Stream]:
        tokens = self.service.tokens
        tokens.acquire()
        try:
            await tokens.token()  # logged in before libmpv asks: a login fails here, clearly
        except BaseException:
            tokens.release()
            raise
        return StreamInfo(url=self.url, title=_title(self.url)), Stream(self.url)

    async def refresh(self, position: float, on_retry: OnRetry | None, name: str) -> Stream:
        # The same URL: a body cut short is asked again from its byte; a refused token is
        # renewed by the token manager (the proxy's auth path), not here.
        return Stream(self.url)

    async def close(self) -> None:
        self.service.tokens.release()
