"""Turning a config text into a Config, or into errors that name the file, the line, the
key path and what to do."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from pydantic import BaseModel, ValidationError

from tui.core.errors import YtplayError
from tui.core.origins import origin
from tui.core.redact import redact

from .keymap import keymap_problems
from .locate import key_lines, line_of
from .schema import SECTIONS, Config, OAuth2ServiceSection

# Checks raw libmpv options; returns {option: error} for the ones libmpv refuses.
MpvCheck = Callable[[Mapping[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class Issue:
    line: int | None
    path: str
    message: str

    def render(self, file: Path | str) -> str:
        """The issue as printed (the terminal, Events): a value it quotes may be a secret."""
        where = f"{file}:{self.line}" if self.line else str(file)
        return redact(f"{where}: {self.path}: {self.message}" if self.path
                      else f"{where}: {self.message}")


class ConfigError(YtplayError):
    def __init__(self, file: Path | str, issues: list[Issue]) -> None:
        self.file = file
        self.issues = issues
        super().__init__("\n".join(i.render(file) for i in issues))


def _plain_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """`loc` without the service kind pydantic puts after `services[i]` (the union's tag):
    the file has no such key."""
    from .schema import SERVICE_KINDS

    if len(loc) > 2 and loc[0] == "services" and isinstance(loc[1], int) \
            and loc[2] in SERVICE_KINDS:
        return loc[:2] + loc[3:]
    return loc


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in _plain_loc(loc):
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where an unknown key `loc` was found."""
    from .schema import SERVICE_KINDS

    model: type[BaseModel] = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if model is Config and part == "services":
            model = SERVICE_KINDS["session-api"]
        elif part in SERVICE_KINDS:
            model = SERVICE_KINDS[part]
        elif part in SECTIONS:
            model = SECTIONS[part]
        else:
            return []
    return list(model.model_fields)


def _message(err: Mapping[str, Any]) -> str:
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _fields_at(loc), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r}{hint}"
    if err["type"] == "missing":
        return "is required but missing"
    if err["type"] == "union_tag_invalid":  # [[services]] kind
        from .schema import SERVICE_KINDS

        kinds = ", ".join(f'"{k}"' for k in SERVICE_KINDS)
        return f"must be one of {kinds} (got {err['ctx']['tag']!r})"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if "input" in err and not isinstance(err["input"], (dict, list)):
        msg += f" (got {err['input']!r})"
    return msg


def _syntax(e: tomllib.TOMLDecodeError, text: str) -> Issue:
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
    message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
    line = int(m.group(1)) if m else max(1, len(text.splitlines()))
    return Issue(line, "", f"TOML syntax: {message}")


def validate_text(text: str, check_mpv: MpvCheck | None = None) -> tuple[Config | None, list[Issue]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return None, [_syntax(e, text)]
    lines = key_lines(text)
    issues: list[Issue] = []
    names: dict[str, int] = {}
    for i, svc in enumerate(doc.get("services", []) if isinstance(doc.get("services"), list) else []):
        name = svc.get("name") if isinstance(svc, dict) else None
        if isinstance(name, str):
            if name in names:
                path = f"services[{i}].name"
                issues.append(Issue(line_of(lines, path), path,
                                    f"{name!r} is already the name of services[{names[name]}]"))
            names.setdefault(name, i)
    config: Config | None = None
    try:
        config = Config.model_validate(doc)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(err["loc"])
            if err["type"] == "union_tag_invalid":
                loc += ("kind",)
            path = _path(loc)
            issues.append(Issue(line_of(lines, path), path, _message(err)))
    if config is not None:
        issues += _shared_media_origins(config, lines)
    if isinstance(doc.get("keys"), dict):
        issues += [Issue(line_of(lines, path), path, problem)
                   for path, problem in keymap_problems(doc["keys"])]
    if check_mpv is not None and isinstance(doc.get("mpv"), dict) and doc["mpv"]:
        for option, problem in check_mpv(doc["mpv"]).items():
            path = f"mpv.{option}"
            issues.append(Issue(line_of(lines, path), path, problem))
    issues.sort(key=lambda i: (i.line or 0, i.path))
    return (config if not issues else None), issues


def _shared_media_origins(config: Config, lines: dict[str, int]) -> list[Issue]:
    """An origin under two OAuth2 services: a URL there would get the first one's bearer
    token only, whatever was meant, and the second would never be used."""
    first: dict[str, int] = {}
    issues: list[Issue] = []
    for i, svc in enumerate(config.services):
        if not isinstance(svc, OAuth2ServiceSection):
            continue
        for where in svc.media_origins:
            owner = first.setdefault(origin(where), i)
            if owner != i:
                path = f"services[{i}].media_origins"
                issues.append(Issue(line_of(lines, path), path,
                                    f"{where} is already a media origin of services[{owner}]"))
    return issues


def load_text(path: Path, text: str, check_mpv: MpvCheck | None = None) -> Config:
    config, issues = validate_text(text, check_mpv)
    if config is None:
        raise ConfigError(path, issues)
    return config
