"""Reading a JWT's `exp` without the signing key: the client never verifies tokens, it only
needs to know when to refresh them (docs/PROTOCOL.md, "Tokens")."""

from __future__ import annotations

import base64
import binascii
import json


def unverified_exp(token: str) -> float | None:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
    except (IndexError, ValueError, binascii.Error, AttributeError):
        return None
    return float(exp) if isinstance(exp, (int, float)) else None
