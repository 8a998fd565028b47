"""Refresh tokens on disk: one JSON file, mode 0600, written atomically. Passwords and
access tokens are never stored."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from tui.config.atomic import atomic_write

log = logging.getLogger(__name__)


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            doc = json.loads(self.path.read_text("utf-8"))
            return dict(doc.get("services", {}))
        except FileNotFoundError:
            return {}
        except (ValueError, AttributeError) as e:
            log.warning("the token file %s cannot be read (%s); logging in afresh", self.path, e)
            return {}

    def load(self, service: str) -> str | None:
        return self._read().get(service, {}).get("refresh_token")

    def save(self, service: str, refresh_token: str | None) -> None:
        services = self._read()
        if refresh_token is None:
            services.pop(service, None)
        else:
            services[service] = {"refresh_token": refresh_token}
        atomic_write(self.path, json.dumps({"services": services}, indent=1), mode=0o600)
