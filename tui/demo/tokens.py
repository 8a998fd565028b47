"""OAuth2 tokens for the demo service: HS256 JWT access tokens and rotating refresh tokens
whose reuse revokes the whole family (RFC 9700 §4.14.2)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Callable

import jwt


class GrantError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class _Family:
    user: str
    revoked: bool = False


@dataclass
class _Refresh:
    family: str
    expires: float
    used: bool = False


@dataclass
class TokenAuthority:
    token_ttl: int
    refresh_ttl: int
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    clock: Callable[[], float] = time.time    # the service's own clock
    families: dict[str, _Family] = field(default_factory=dict)
    refreshes: dict[str, _Refresh] = field(default_factory=dict)
    issued: int = 0
    revocations: int = 0

    def _issue(self, family_id: str) -> dict[str, object]:
        now = int(self.clock())
        claims = {"sub": self.families[family_id].user, "iat": now,
                  "exp": now + self.token_ttl, "fam": family_id, "jti": secrets.token_hex(6)}
        refresh = secrets.token_urlsafe(32)
        self.refreshes[refresh] = _Refresh(family_id, now + self.refresh_ttl)
        self.issued += 1
        return {"access_token": jwt.encode(claims, self.key, algorithm="HS256"),
                "token_type": "Bearer", "expires_in": self.token_ttl,
                "refresh_token": refresh}

    def login(self, user: str) -> dict[str, object]:
        family_id = secrets.token_hex(8)
        self.families[family_id] = _Family(user)
        return self._issue(family_id)

    def refresh(self, token: str) -> dict[str, object]:
        entry = self.refreshes.get(token)
        if entry is None or entry.expires < self.clock():
            raise GrantError("invalid_grant", "refresh token unknown or expired")
        family = self.families[entry.family]
        if family.revoked:
            raise GrantError("invalid_grant", "refresh token family was revoked")
        if entry.used:
            family.revoked = True
            self.revocations += 1
            raise GrantError("invalid_grant", "refresh token reuse detected; log in again")
        entry.used = True
        return self._issue(entry.family)

    def verify(self, access_token: str) -> str:
        """The user an access token belongs to; raises GrantError('token_expired' or
        'invalid_token')."""
        try:
            # Expiry is checked against the service's own clock, which may be off.
            claims = jwt.decode(access_token, self.key, algorithms=["HS256"],
                                options={"verify_exp": False, "verify_iat": False,
                                         "verify_nbf": False, "require": ["exp"]})
        except jwt.InvalidTokenError:
            raise GrantError("invalid_token", "access token invalid") from None
        if float(claims["exp"]) < self.clock():
            raise GrantError("token_expired", "access token expired")
        family = self.families.get(str(claims.get("fam")))
        if family is None or family.revoked:
            raise GrantError("invalid_token", "access token revoked")
        return str(claims["sub"])
