"""`ytplay login NAME`: the device login (RFC 8628) of an OAuth2 service from the command line.
It prints the address and the code, polls until the user approved them elsewhere, stores the
refresh token (mode 0600, like every refresh token) and exits 0; anything else is one line
on stderr and a non-zero status."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from tui.config.paths import locate_config, tokens_file
from tui.config.schema import OAuth2ServiceSection
from tui.config.store import ConfigFileError
from tui.core.errors import LoginRequired, ServiceError, YtplayError
from tui.core.redact import redact
from tui.core.sanitize import printable
from tui.runtime_config import load_config

USAGE_ERROR = 2   # the command line or the config names no such login
FAILED = 1        # the login was refused, expired, or the server could not be reached


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ytplay login",
        description="Log in to an OAuth2 service (kind = \"oauth2\", grant = \"device_code\"): "
                    "open the address shown on any device, enter the code, and the refresh "
                    "token is stored for ytplay.")
    p.add_argument("name", help="the service's name in [[services]]")
    p.add_argument("--config", metavar="PATH", default=None, help="the config file")
    return p


def _fail(text: str, status: int) -> int:
    print(f"ytplay login: {printable(text)}", file=sys.stderr)
    return status


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    # What goes wrong is said in one line below; the modules' log records (a token file
    # that could not be read, say) would reach stderr through logging's last resort.
    logging.getLogger("tui").addHandler(logging.NullHandler())
    where = locate_config(args.config)
    try:
        config = load_config(where.path, make_folder=False)
    except (ConfigFileError, YtplayError) as e:
        return _fail(f"the config file cannot be used: {str(e).splitlines()[0]}", USAGE_ERROR)
    oauth2 = [s for s in config.services if isinstance(s, OAuth2ServiceSection)]
    svc = next((s for s in oauth2 if s.name == args.name), None)
    other = next((s for s in config.services if s.name == args.name), None)
    if svc is None and other is not None:
        return _fail(f"{args.name} is a kind = \"{other.kind}\" service: ytplay logs in to it "
                     "by itself when it plays (with password_env, or a dialog that asks); "
                     "`ytplay login` is for kind = \"oauth2\"", USAGE_ERROR)
    if svc is None:
        known = ", ".join(s.name for s in oauth2) or "none"
        return _fail(f"no OAuth2 service named {args.name!r} in {where.path} "
                     f"(OAuth2 services there: {known})", USAGE_ERROR)
    if svc.grant != "device_code":
        return _fail(f"{svc.name} logs in with grant = \"{svc.grant}\"; `ytplay login` is for "
                     "grant = \"device_code\" (ytplay logs in by itself with the others)",
                     USAGE_ERROR)
    try:
        return asyncio.run(_login(svc))
    except KeyboardInterrupt:
        return _fail("cancelled", 130)


async def _login(svc: OAuth2ServiceSection) -> int:
    import httpx

    from tui.session.services import DeviceCode, OAuth2Client, device_login
    from tui.session.store import TokenStore

    def show(code: DeviceCode) -> None:
        # The server's words, on the user's terminal: cleaned.
        print(f"To log in to {svc.name}, open {printable(code.verification_uri)}\n"
              f"and enter the code {printable(code.user_code)}")
        if code.verification_uri_complete:
            print(f"(or open {printable(code.verification_uri_complete)})")
        lasts = (f"{code.expires_in / 60:.0f} min" if code.expires_in >= 90 else
                 f"{code.expires_in:.0f} s")  # a short-lived code is not "0 min"
        print(f"Waiting for you to approve it (the code works for {lasts}; Ctrl+C "
              "cancels)…", flush=True)

    async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)) as http:
        client = OAuth2Client(svc.token_url, http, client_id=svc.client_id,
                              secret_env=svc.client_secret_env, scopes=svc.scopes,
                              device_url=svc.device_url)
        try:
            tokens = await device_login(client, svc.name, show)
        except LoginRequired as e:
            return _fail(str(e), FAILED)
        except ServiceError as e:
            return _fail(f"{svc.name}: {redact(str(e))}", FAILED)
    if not tokens.refresh_token:
        return _fail(f"{svc.name}: the server approved the login but gave no refresh token, "
                     "so there is nothing to keep; ytplay will ask when it plays", FAILED)
    store = TokenStore(tokens_file())
    try:
        await asyncio.to_thread(store.save, svc.name, tokens.refresh_token)
    except OSError as e:
        return _fail(f"{svc.name}: approved, but its refresh token could not be stored in "
                     f"{store.path} ({e.strerror or type(e).__name__}); make that folder "
                     "writable and log in again", FAILED)
    print(f"Logged in to {svc.name}; its refresh token is stored in {store.path}.")
    return 0
