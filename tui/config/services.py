"""The `[[services]]` tables of config.toml (PROTOCOL.md §6)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import YtplayError

KINDS = ("session-api",)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class ConfigError(YtplayError):
    pass


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    base_url: str
    client_id: str
    username: str
    password_env: str | None = None
    kind: str = "session-api"

    def password_from_env(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


def load_services(path: Path) -> list[ServiceConfig]:
    """The services configured in `path`; none when the file does not exist."""
    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        return []
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    tables = doc.get("services", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: 'services' must be an array of tables ([[services]])")
    errors: list[str] = []
    services: list[ServiceConfig] = []
    for i, t in enumerate(tables):
        where = f"{path}: services[{i}]"
        if not isinstance(t, dict):
            errors.append(f"{where}: must be a table")
            continue
        missing = [k for k in ("name", "base_url", "client_id", "username") if not t.get(k)]
        if missing:
            errors.append(f"{where}: missing {', '.join(missing)}")
            continue
        unknown = set(t) - {"name", "kind", "base_url", "client_id", "username", "password_env"}
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        name = str(t["name"])
        if not _NAME.match(name):
            errors.append(f"{where}.name: {name!r} must start with a letter and use letters, "
                          "digits, - and _ (it is used in queue references like name:id)")
        if name in {s.name for s in services}:
            errors.append(f"{where}.name: {name!r} is defined twice")
        kind = str(t.get("kind", "session-api"))
        if kind not in KINDS:
            errors.append(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
        if not str(t["base_url"]).startswith(("http://", "https://")):
            errors.append(f"{where}.base_url: must start with http:// or https://")
        services.append(ServiceConfig(name, str(t["base_url"]), str(t["client_id"]),
                                      str(t["username"]), t.get("password_env"), kind))
    if errors:
        raise ConfigError("\n".join(errors))
    return services
