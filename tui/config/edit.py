"""One option changed in the user's own config text, everything else kept as written:
comments, order, spacing and the other values (tomlkit round-trips them)."""

from __future__ import annotations

import tomlkit
from tomlkit.exceptions import TOMLKitError


def with_option(text: str, section: str, key: str, value: object) -> str | None:
    """`text` with `[section] key = value` set (the table added when missing); None when
    `text` is not TOML at all, so there is nothing to edit safely."""
    try:
        doc = tomlkit.parse(text)
        table = doc.get(section)
        if table is None:
            table = tomlkit.table()
            doc[section] = table
        table[key] = value
        return tomlkit.dumps(doc)
    except (TOMLKitError, TypeError, ValueError):
        return None  # not TOML, or [section] is not a table
