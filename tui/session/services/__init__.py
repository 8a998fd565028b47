"""How ytplay talks to a media service and logs in there: the session protocol's client
(`SessionApiClient`, docs/PROTOCOL.md: tokens, library, playback sessions), an OAuth 2.0
server's (`OAuth2Client`) and its device login (`device_login`, RFC 8628), and one service's
access and refresh tokens, refreshed ahead of expiry and single-flight (`TokenManager`).
Every failure of theirs is a core Failure (`failure_of`, `network_failure`: what an HTTP
answer or a failed connection means, which the proxy and downloads use too), and no answer
is read beyond what it can sensibly be (`read_capped`). Which services are configured, and
what opens their media, is the streams room's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._capped_body import read_capped
    from ._device_login import DeviceLoginFailed, device_login
    from ._oauth2_client import DeviceCode, OAuth2Client
    from ._protocol_client import (SessionApiClient, StreamGrant, TokenSet, failure_of,
                                   network_failure)
    from ._tokens import LoginGrant, PasswordSource, TokenManager

__all__, __getattr__ = face(__name__, {
    "_capped_body": ("read_capped",),
    "_device_login": ("DeviceLoginFailed", "device_login"),
    "_oauth2_client": ("DeviceCode", "OAuth2Client"),
    "_protocol_client": ("SessionApiClient", "StreamGrant", "TokenSet", "failure_of",
                         "network_failure"),
    "_tokens": ("LoginGrant", "PasswordSource", "TokenManager"),
})
