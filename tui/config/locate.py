"""Which line of a TOML text defines a key path like `retry.attempts` or `services[1].name`.

tomllib reports no positions for values, so this scans the text the way TOML lays it out:
table headers, array-of-table headers and `key =` lines. Good enough to point a person at
the right line of a hand-written config; a path it cannot find falls back to its table."""

from __future__ import annotations

import re

_ARRAY = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def _name(raw: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in raw.split("."))


def key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        if m := _ARRAY.match(line):
            name = _name(m.group(1))
            counts[name] = counts.get(name, -1) + 1
            table = f"{name}[{counts[name]}]"
            lines.setdefault(table, number)
        elif m := _TABLE.match(line):
            table = _name(m.group(1))
            lines.setdefault(table, number)
        elif m := _KEY.match(line):
            key = _name(m.group(1))
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return lines


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, or of the nearest enclosing table that is in the text."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
