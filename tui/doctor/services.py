"""Each configured service: does it answer, and does it accept the credentials ytplay has
for it (the password in `password_env`, else the stored refresh token)? No prompt, and no
secret is printed."""

from __future__ import annotations

import os
from typing import Any

import httpx

from tui.config.paths import tokens_file
from tui.config.schema import OAuth2ServiceSection, ServiceSection
from tui.core.errors import ServiceError
from tui.core.failures import FailureClass
from tui.core.redact import redact
from tui.session.services import SessionApiClient
from tui.session.store import TokenStore

from .report import Line, error, ok, warning

TIMEOUT = httpx.Timeout(5.0, connect=3.0)


async def _reachable(http: httpx.AsyncClient, what: str, url: str, edit: str) -> Line | None:
    """An error line when nothing answers at `url`; None when something does."""
    try:
        async with http.stream("GET", url, follow_redirects=False):
            pass  # an answer is all this asks: its body, of any size, is not read
    except httpx.ConnectError as e:
        return error(what, f"nothing answers at {url} ({_why(e)})",
                     f"start the service, or correct its URL: {edit}")
    except httpx.TimeoutException:
        return error(what, f"{url} did not answer within {TIMEOUT.read:.0f} s",
                     f"check the network and the service, or correct its URL: {edit}")
    except httpx.HTTPError as e:
        return error(what, f"{url}: {_why(e)}", f"correct its URL: {edit}")
    return None


def _why(e: Exception) -> str:
    text = str(e) or type(e).__name__
    return redact(text.splitlines()[0])


async def _login(http: httpx.AsyncClient, svc: ServiceSection, edit: str) -> Line:
    what = f"service {svc.name}"
    client = SessionApiClient(svc.base_url, svc.client_id, http)
    password = os.environ.get(svc.password_env) if svc.password_env else None
    store = TokenStore(tokens_file())
    try:
        if password:
            await client.password_grant(svc.username, password)
            return ok(what, f"{svc.base_url} answers and accepts {svc.username}'s password "
                            f"(from ${svc.password_env})")
        refresh = store.load(svc.name)
        if refresh is None:
            why = (f"${svc.password_env} is empty" if svc.password_env else
                   "no password_env is set")
            return warning(what, f"{svc.base_url} answers; credentials not checked: {why} and "
                           "no login is stored", f"set password_env with `{edit}`, or log in "
                           "once in ytplay")
        tokens = await client.refresh_grant(refresh)
        # The service may rotate refresh tokens: the new one is kept, as ytplay would.
        if tokens.refresh_token and tokens.refresh_token != refresh:
            store.save(svc.name, tokens.refresh_token)
        return ok(what, f"{svc.base_url} answers and accepts the stored login")
    except ServiceError as e:
        if e.failure.code == "unsafe_redirect":  # the password never reached the question
            return error(what, redact(str(e)), f"correct base_url: {edit}")
        if e.failure_class in (FailureClass.DETERMINISTIC, FailureClass.AUTH):
            fix = (f"put the right password in ${svc.password_env}" if password else
                   "start ytplay and log in again (the stored login was refused)")
            return error(what, f"credentials refused: {redact(str(e))}", fix)
        return error(what, f"the login failed: {redact(str(e))}",
                     "try again later; the service is answering with errors")


def _oauth2_login(svc: OAuth2ServiceSection, what: str) -> Line:
    """Whether ytplay has what it needs to log in to an OAuth2 service (nothing is sent:
    a device login cannot be checked without a person, and the others would spend a
    token)."""
    needed = [(svc.client_secret_env, "the client secret"),
              (svc.refresh_token_env if svc.grant == "refresh_token" else None,
               "the refresh token to start from")]
    for env, holds in needed:
        if env and not os.environ.get(env):
            return error(what, f"${env} is not set: it holds {holds} of {svc.client_id}",
                         f"export {env}=… before starting ytplay")
    if svc.grant == "device_code" and TokenStore(tokens_file()).load(svc.name) is None:
        return warning(what, f"{svc.token_url} answers; not logged in yet",
                       f"ytplay login {svc.name}")
    return ok(what, f"{svc.token_url} answers (OAuth2, grant = \"{svc.grant}\")")


async def _check_one(svc: Any, edit: str) -> list[Line]:
    what = f"service {svc.name}"
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        if isinstance(svc, OAuth2ServiceSection):
            down = await _reachable(http, what, svc.token_url, edit)
            return [down or _oauth2_login(svc, what)]
        down = await _reachable(http, what, svc.base_url, edit)
        if down is not None:
            return [down]
        return [await _login(http, svc, edit)]


def check_service(svc: Any, edit: str) -> list[Line]:
    import asyncio

    return asyncio.run(_check_one(svc, edit))
