"""Turning a config text into a Config, or into errors that name the file, the line, the
key path and what to do."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from tui.core.errors import YtplayError
from tui.core.origins import origin
from tui.core.redact import redact

from .convert import convert
from .keymap import keymap_problems
from .locate import key_lines, line_of
from .schema import Config, OAuth2ServiceSection

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
    config, problems = convert(doc, Config)
    issues += [Issue(line_of(lines, path), path, problem) for path, problem in problems]
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
