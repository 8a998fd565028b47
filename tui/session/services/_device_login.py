"""The device authorization grant (RFC 8628), the login of a terminal app: the server hands
out a code, the user enters it at a web address on any device, and ytplay polls the token
endpoint until they have (at the server's interval, 5 s more after each `slow_down`), they
refuse, or the code expires. Shown by the app's dialog and by `ytplay login NAME`."""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

from tui.core.errors import LoginRequired, ServiceError
from tui.core.failures import FailureClass

from ._oauth2_client import DeviceCode, OAuth2Client
from ._protocol_client import TokenSet

SLOW_DOWN_STEP = 5.0        # s added to the interval by each slow_down (RFC 8628, 3.5)
MAX_INTERVAL = 60.0         # s; the longest between polls (network trouble doubles up to it)


class DeviceLoginFailed(LoginRequired):
    """The device login ended without tokens: refused, expired, or cancelled."""


async def device_login(client: OAuth2Client, service: str, show: Callable[[DeviceCode], None], *,
                       sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                       clock: Callable[[], float] = time.monotonic) -> TokenSet:
    """Ask for a code, `show` it, poll until the user approved; DeviceLoginFailed with one
    clear sentence otherwise."""
    try:
        code = await client.device_authorization()
    except ServiceError as e:
        if e.failure_class is FailureClass.DETERMINISTIC:
            raise DeviceLoginFailed(f"{service}: the server refused to start a device login "
                                    f"({e.failure.code or e.failure.status}); check client_id "
                                    "and device_url") from None
        raise
    show(code)
    deadline = clock() + code.expires_in
    # The server's interval, but not a day: the user who approved would wait it out.
    interval = min(code.interval, MAX_INTERVAL)
    trouble: ServiceError | None = None   # the last poll's, when it could not be answered
    while True:
        await sleep(min(interval, max(0.0, deadline - clock())))  # not past the code's life
        if clock() >= deadline:
            if trouble is not None:  # the user may have entered it: we could not ask
                raise DeviceLoginFailed(f"{service}: the code {code.user_code} expired while "
                                        f"the server could not be asked about it ({trouble}); "
                                        "log in again for a new one")
            raise DeviceLoginFailed(f"{service}: the code {code.user_code} expired before it "
                                    "was entered; log in again for a new one")
        try:
            return await client.device_token(code.device_code)
        except ServiceError as e:
            why = e.failure.code
            trouble = None
            if why == "authorization_pending":
                continue
            if why == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            if why == "access_denied":
                raise DeviceLoginFailed(f"{service}: the login was refused at "
                                        f"{code.verification_uri}") from None
            if why == "expired_token":
                raise DeviceLoginFailed(f"{service}: the code {code.user_code} expired "
                                        "before it was entered; log in again for a new one") \
                    from None
            if e.failure_class is FailureClass.TRANSIENT:
                trouble = e
                interval = min(MAX_INTERVAL, interval * 2)  # RFC 8628, 3.5: back off
                continue
            raise DeviceLoginFailed(f"{service}: the server ended the login "
                                    f"({why or e.failure.status})") from None
