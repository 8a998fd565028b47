"""The config file a first run writes: every option present, commented, at its default."""

from __future__ import annotations

import textwrap
from typing import Any

import msgspec

from .fields import default_of, description
from .schema import Config, OAuth2ServiceSection, ServiceSection

HEADER = """\
ytplay configuration. Every option is here at its default; change what you like.
`ytplay config check` validates this file, `ytplay config edit` edits it safely,
and ytplay reloads it while it runs (changes that need a restart are reported)."""

SERVICE_EXAMPLE = """\
[[services]]
name = "home"                          # used in queue references: home:t1
kind = "session-api"
base_url = "https://media.example"
client_id = "ytplay"
username = "alice"
password_env = "HOME_MEDIA_PASSWORD"   # optional; otherwise a login dialog asks once

[[services]]                           # media behind a standard OAuth 2.0 server
name = "files"
kind = "oauth2"
token_url = "https://auth.example/oauth/token"
device_url = "https://auth.example/oauth/device"   # `ytplay login files` logs in
client_id = "ytplay"
scopes = ["media"]
grant = "device_code"                  # or "password", "client_credentials", "refresh_token"
media_origins = ["https://files.example"]"""


def _comment(container: Any, text: str) -> None:
    import tomlkit  # here and below: tomlkit is needed only to write a first config file

    for line in textwrap.wrap(text, 86, break_on_hyphens=False):
        container.add(tomlkit.comment(line))


def _table(model: type[msgspec.Struct]) -> Any:
    import tomlkit

    table = tomlkit.table()
    if model.__doc__:
        _comment(table, model.__doc__.strip())
    # A table of its own ([ytdlp.extra]) comes after the table's other keys, as TOML
    # writes it, with its comment inside it (before, the next key's comment was there).
    fields = sorted(msgspec.structs.fields(model), key=lambda f: default_of(f) == {})
    for info in fields:
        value = default_of(info)
        if value is None:
            table.add(tomlkit.comment(f"{info.name} = ...   ({description(info)})"))
            continue
        if value == {}:
            sub = tomlkit.table()
            _comment(sub, description(info))
            table.add(info.name, sub)
            continue
        if description(info):
            _comment(table, description(info))
        table.add(info.name, value)
    return table


def default_text() -> str:
    import tomlkit

    doc = tomlkit.document()
    _comment(doc, HEADER)
    for info in msgspec.structs.fields(Config):
        name = info.name
        doc.add(tomlkit.nl())
        if name == "services":
            _comment(doc, (ServiceSection.__doc__ or "").strip() + " "
                     + (OAuth2ServiceSection.__doc__ or "").strip().replace("\n", " ")
                     + " One table per service:")
            for line in SERVICE_EXAMPLE.splitlines():
                doc.add(tomlkit.comment(line))
            continue
        if isinstance(info.type, type) and issubclass(info.type, msgspec.Struct):
            doc.add(name, _table(info.type))
        else:  # free-form tables: [mpv], [keys]
            table = tomlkit.table()
            _comment(table, description(info))
            table.add(tomlkit.comment('example = "value"'))
            doc.add(name, table)
    return tomlkit.dumps(doc)
