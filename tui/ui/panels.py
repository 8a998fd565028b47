"""Which panels show: the session panel and the two logs. Keys toggle them (`S` the
session, `L` both logs) and the choice is remembered in the config file's `[ui] panels`.

Why the config file and not a state file of its own: `[ui] panels` already is the place a
person sets this, and the editor, `ytplay config show` and the README all describe it
there. A second file would have to win over it (an edit to config.toml silently ignored)
or lose to it (the key's choice forgotten); one place cannot disagree with itself. The
option is written through tomlkit (tui/config/edit.py), so the file's comments and layout
stay as the person left them, and replaced the way every save is: validated, atomic, the
previous version kept as config.toml.bak."""

from __future__ import annotations

PANELS = ("session", "events", "retries")
LOGS = ("events", "retries")


def toggled(panels: tuple[str, ...], group: str) -> tuple[str, ...]:
    """`panels` with `group` ("session" or "logs") turned off when any of it shows, else
    on; in PANELS order."""
    members = LOGS if group == "logs" else (group,)
    on = not any(p in panels for p in members)
    return tuple(p for p in PANELS if (p in members and on) or (p in panels and p not in members))
