"""HMAC-signed, expiring media URLs, in the shape of YouTube's `expire=…&sig=…`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class UrlSigner:
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    clock: Callable[[], float] = time.time    # the service's own clock

    def _sig(self, path: str, expire: int, sid: str) -> str:
        msg = f"{path}|{expire}|{sid}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()[:32]

    def sign(self, path: str, ttl: int, sid: str = "") -> tuple[str, int]:
        """The query string for `path` valid for `ttl` seconds, and its expiry."""
        expire = int(self.clock()) + ttl
        query = f"expire={expire}&sig={self._sig(path, expire, sid)}"
        return (query + (f"&sid={sid}" if sid else "")), expire

    def valid(self, path: str, expire: str, sig: str, sid: str = "") -> bool:
        if not expire.isdigit() or int(expire) < self.clock():
            return False
        return hmac.compare_digest(self._sig(path, int(expire), sid), sig)
