"""The client side of a standard OAuth 2.0 authorization server (RFC 6749): the token
endpoint's grants (password, client credentials, refresh token) and the device
authorization grant (RFC 8628).

Written on httpx rather than taken from authlib's AsyncOAuth2Client: every failure has to
become a core Failure (one table decides what happens next), requests carrying credentials
follow redirects only within their origin, the server's clock is read from `Date`, and
authlib's client has no device-flow polling. The session protocol's token endpoint is an
OAuth 2.0 token endpoint already, so its client's transport is reused here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import quote

from tui.core.errors import LoginRequired
from tui.core.expiry import sane_interval

from ._protocol_client import SessionApiClient, TokenSet

if TYPE_CHECKING:
    import httpx

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5.0     # s between polls when the server names none (RFC 8628, 3.2)


@dataclass(frozen=True)
class DeviceCode:
    """A device authorization answer (RFC 8628, 3.2). Every text in it is the server's:
    untrusted on screen."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float


def _device_code(body: Any) -> DeviceCode:
    uri = body.get("verification_uri") or body.get("verification_url")  # an older draft's name
    complete = body.get("verification_uri_complete")
    fields = (body["device_code"], body["user_code"], uri)
    if not all(isinstance(f, str) and f for f in fields):
        raise TypeError("device_code, user_code, verification_uri")
    expires_in = sane_interval(body["expires_in"])
    if expires_in is None:
        raise ValueError("expires_in")
    interval = sane_interval(body.get("interval", DEFAULT_INTERVAL)) or DEFAULT_INTERVAL
    return DeviceCode(body["device_code"], body["user_code"], uri,
                      complete if isinstance(complete, str) and complete else None,
                      expires_in, max(1.0, interval))


class OAuth2Client(SessionApiClient):
    def __init__(self, token_url: str, http: httpx.AsyncClient, *, client_id: str,
                 secret_env: str | None = None, scopes: Iterable[str] = (),
                 device_url: str | None = None,
                 warn: Callable[[str], None] = lambda _text: None) -> None:
        """`secret_env`: the environment variable holding the client secret of a
        confidential client, read when it is needed (never kept in the config)."""
        super().__init__(token_url, client_id, http, warn=warn)
        self.token_url = token_url
        self.device_url = device_url
        self.scope = " ".join(scopes)
        self._secret_env = secret_env

    def _client_auth(self, data: dict[str, str]) -> dict[str, Any]:
        """The request's client authentication: HTTP Basic for a confidential client (the
        method every server must support, RFC 6749 2.3.1, names form-encoded first), the
        client id in the form for a public one."""
        if self._secret_env is None:
            return {"data": {**data, "client_id": self.client_id}}
        secret = os.environ.get(self._secret_env)
        if not secret:
            raise LoginRequired(f"${self._secret_env} is not set: it holds the client secret "
                                f"of {self.client_id} (client_secret_env)")
        return {"data": data, "auth": (quote(self.client_id, safe=""), quote(secret, safe=""))}

    async def _token(self, data: dict[str, str], *, scoped: bool = True) -> TokenSet:
        if scoped and self.scope:
            data = {**data, "scope": self.scope}
        return await self._answer("POST", "", self._tokens, url=self.token_url,
                                  **self._client_auth(data))

    async def password_grant(self, username: str, password: str) -> TokenSet:
        return await self._token({"grant_type": "password", "username": username,
                                  "password": password})

    async def refresh_grant(self, refresh_token: str) -> TokenSet:
        # No scope: the refreshed token keeps the one granted (RFC 6749, 6).
        return await self._token({"grant_type": "refresh_token",
                                  "refresh_token": refresh_token}, scoped=False)

    async def client_credentials_grant(self) -> TokenSet:
        return await self._token({"grant_type": "client_credentials"})

    async def device_authorization(self) -> DeviceCode:
        if self.device_url is None:
            raise ValueError("no device_url configured")
        data = {"scope": self.scope} if self.scope else {}
        return await self._answer("POST", "", _device_code, url=self.device_url,
                                  **self._client_auth(data))

    async def device_token(self, device_code: str) -> TokenSet:
        """One poll of the token endpoint; `authorization_pending`, `slow_down`,
        `access_denied` and `expired_token` come as a ServiceError's `failure.code`."""
        return await self._token({"grant_type": DEVICE_GRANT, "device_code": device_code},
                                 scoped=False)
