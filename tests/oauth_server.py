"""A real OAuth 2.0 authorization server for the tests: Authlib's AuthorizationServer on its
Flask integration, served by werkzeug on 127.0.0.1 in a thread. Grants: the device
authorization grant (RFC 8628), refresh tokens with rotation (the old one revoked on use),
password and client credentials. A resource route serves byte ranges of a real audio file
to a valid bearer only. Access tokens live a few seconds; everything is in memory.

The device code is approved the way a user would: a form at the verification URI that
takes the user code and the user's name and password (`approve`)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc8628 import (DeviceAuthorizationEndpoint, DeviceCodeGrant,
                                    DeviceCredentialDict)
from flask import Flask, Response, redirect, request, send_file
from werkzeug.serving import WSGIRequestHandler, make_server

PUBLIC_CLIENT = "ytplay"
CONFIDENTIAL_CLIENT = "ytplay-c"
CLIENT_SECRET = "s3cret-client-value"
USERS = {"alice": "wonderland-pass"}
ALL_GRANTS = ("password", "client_credentials", "refresh_token",
              "urn:ietf:params:oauth:grant-type:device_code")


@dataclass
class Client(ClientMixin):
    client_id: str
    secret: str | None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("media", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and secrets.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == ("none" if self.secret is None else "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials":
            return self.secret is not None
        return grant_type in ALL_GRANTS


@dataclass
class Token(TokenMixin):
    client_id: str
    user: str | None
    scope: str
    access_token: str
    refresh_token: str | None
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False            # the access token
    refresh_revoked: bool = False    # the refresh token (rotated away)

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str | None:
        return self.user

    def get_client(self) -> ClientMixin:
        return CLIENTS[self.client_id]


CLIENTS = {PUBLIC_CLIENT: Client(PUBLIC_CLIENT, None),
           CONFIDENTIAL_CLIENT: Client(CONFIDENTIAL_CLIENT, CLIENT_SECRET)}


@dataclass
class State:
    """What the server holds, and knobs and counters for the tests. Read and changed from
    the test's thread while werkzeug's threads serve: the lock keeps it consistent."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: list[Token] = field(default_factory=list)
    devices: dict[str, DeviceCredentialDict] = field(default_factory=dict)
    decisions: dict[str, tuple[str, bool]] = field(default_factory=dict)  # user code → grant
    grants: dict[str, int] = field(default_factory=dict)      # token requests by grant_type
    media: list[dict[str, str]] = field(default_factory=list)  # headers of media requests
    refused: int = 0             # media requests whose bearer was refused (401)
    refuse_all: bool = False     # every bearer is refused (a login the server stopped taking)
    slow_down: int = 0           # the next polls answered slow_down

    def find(self, **match: Any) -> Token | None:
        with self.lock:
            return next((t for t in self.tokens
                         if all(getattr(t, k) == v for k, v in match.items())), None)

    def revoke_access(self) -> None:
        """Every access token handed out so far stops working (a server restart, a key
        rotation): the next media request is refused with 401."""
        with self.lock:
            for t in self.tokens:
                t.revoked = True

    def count(self, grant: str) -> int:
        with self.lock:
            return self.grants.get(grant, 0)


def _public_too(cls: type) -> type:
    """`cls` accepting public clients ("none") beside confidential ones."""
    return type(cls.__name__, (cls,), {"TOKEN_ENDPOINT_AUTH_METHODS":
                                       ["client_secret_basic", "none"]})


def build_app(state: State, media: Path, *, access_ttl: int, device_ttl: int,
              interval: int, base: list[str]) -> Flask:
    app = Flask("oauth-test-server")
    ttl = {g: access_ttl for g in ALL_GRANTS}
    app.config.update(OAUTH2_TOKEN_EXPIRES_IN=ttl, OAUTH2_REFRESH_TOKEN_GENERATOR=True)

    def save_token(token: dict[str, Any], req: Any) -> None:
        with state.lock:
            state.tokens.append(Token(req.client.get_client_id(), req.user, token.get("scope", ""),
                                      token["access_token"], token.get("refresh_token"),
                                      token["expires_in"]))

    server = AuthorizationServer(app, query_client=CLIENTS.get, save_token=save_token)

    class Password(_public_too(grants.ResourceOwnerPasswordCredentialsGrant)):  # type: ignore[misc]
        def authenticate_user(self, username: str, password: str) -> str | None:
            ok = username in USERS and secrets.compare_digest(USERS[username], password)
            return username if ok else None

    class Refresh(_public_too(grants.RefreshTokenGrant)):  # type: ignore[misc]
        INCLUDE_NEW_REFRESH_TOKEN = True   # rotation

        def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
            t = state.find(refresh_token=refresh_token)
            return t if t is not None and not t.refresh_revoked else None

        def authenticate_user(self, credential: Token) -> str | None:
            return credential.user or "service"

        def revoke_old_credential(self, credential: Token) -> None:
            with state.lock:
                credential.refresh_revoked = True

    class Device(DeviceCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "none"]

        def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
            with state.lock:
                return state.devices.get(device_code)

        def query_user_grant(self, user_code: str) -> tuple[str, bool] | None:
            with state.lock:
                return state.decisions.get(user_code)

        def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
            with state.lock:
                if state.slow_down:
                    state.slow_down -= 1
                    return True
            return False

    class DeviceEndpoint(DeviceAuthorizationEndpoint):
        EXPIRES_IN = device_ttl
        INTERVAL = interval

        def get_verification_uri(self) -> str:
            return f"{base[0]}/device"

        def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
            with state.lock:
                state.devices[data["device_code"]] = DeviceCredentialDict(
                    client_id=client_id, scope=scope, user_code=data["user_code"],
                    expires_at=time.time() + data["expires_in"])

    server.register_grant(Password)
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_grant(Refresh)
    server.register_grant(Device)
    server.register_endpoint(DeviceEndpoint)

    class Validator(BearerTokenValidator):
        def authenticate_token(self, token_string: str) -> Token | None:
            return state.find(access_token=token_string)

    protector = ResourceProtector()
    protector.register_token_validator(Validator())

    @app.post("/oauth/token")
    def token() -> Response:
        grant = request.form.get("grant_type", "")
        with state.lock:
            state.grants[grant] = state.grants.get(grant, 0) + 1
        return server.create_token_response()

    @app.post("/oauth/device")
    def device() -> Response:
        return server.create_endpoint_response("device_authorization")

    @app.get("/device")
    def device_page() -> str:
        code = request.args.get("user_code", "")
        return (f"<form method=post><input name=user_code value='{code}'>"
                "<input name=username><input name=password type=password>"
                "<button name=action value=approve>Allow</button>"
                "<button name=action value=deny>Deny</button></form>")

    @app.post("/device")
    def device_decide() -> tuple[str, int]:
        """The user's answer at the verification URI: signed in, allow or deny."""
        code = request.form.get("user_code", "").strip().upper()
        user, password = request.form.get("username", ""), request.form.get("password", "")
        if not (user in USERS and secrets.compare_digest(USERS[user], password)):
            return "wrong name or password", 403
        with state.lock:
            if not any(d["user_code"] == code for d in state.devices.values()):
                return "no such code", 404
            state.decisions[code] = (user, request.form.get("action") == "approve")
        return "done: go back to your device", 200

    @app.get("/media/<name>")
    def media_file(name: str) -> Response:
        with state.lock:
            state.media.append(dict(request.headers))
        try:
            if state.refuse_all:
                raise OAuth2Error("refused")
            protector.acquire_token(["media"])
        except OAuth2Error:
            if request.headers.get("Authorization"):
                with state.lock:
                    state.refused += 1
            return Response("", status=401,
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return send_file(media, mimetype="audio/wav", conditional=True, max_age=0)

    @app.get("/elsewhere/<name>")
    def elsewhere(name: str) -> Response:
        """Protected media that moved to another origin: the bearer must not follow."""
        try:
            protector.acquire_token(["media"])
        except OAuth2Error:
            return Response("", status=401)
        return redirect(f"{base[1]}/plain/{name}", code=302)

    return app


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass  # the tests read the server's state, not its access log


class OAuthServer:
    """The server on 127.0.0.1 at a port the OS picks; a context manager."""

    def __init__(self, media: Path, *, access_ttl: int = 4, device_ttl: int = 60,
                 interval: int = 1, elsewhere: str = "") -> None:
        self.state = State()
        self._base = ["", elsewhere]
        self.app = build_app(self.state, media, access_ttl=access_ttl, device_ttl=device_ttl,
                             interval=interval, base=self._base)
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True,
                                   request_handler=_Quiet)
        self.base_url = self._base[0] = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="oauth-test-server", daemon=True)

    def __enter__(self) -> "OAuthServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def approve(self, user_code: str, *, allow: bool = True, user: str = "alice") -> None:
        """What the user does in the browser: signs in at the verification URI and allows
        (or denies) the code."""
        r = httpx.post(f"{self.base_url}/device", data={
            "user_code": user_code, "username": user, "password": USERS[user],
            "action": "approve" if allow else "deny"})
        r.raise_for_status()
