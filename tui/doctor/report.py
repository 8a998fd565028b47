"""One line of `ytplay doctor`'s report: what was checked, what was found and, when it is
not ok, the command that fixes it."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tui.core.sanitize import printable


class Level(enum.Enum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Line:
    level: Level
    what: str                 # the thing checked: "libmpv", "service demo", ...
    found: str                # what was found, in plain words
    fix: str | None = None    # the command (or the one step) that fixes it

    def render(self, colour: bool = False) -> str:
        tag = f"{self.level.value:<7}"
        if colour:
            tag = f"\x1b[{_COLOURS[self.level]}m{tag}\x1b[0m"
        # `found` may quote a server or a library: untrusted text on a terminal.
        text = f"{tag} {self.what}: {printable(self.found)}"
        if self.fix and self.level is not Level.OK:
            text += f" — fix: {printable(self.fix)}"
        return text


_COLOURS = {Level.OK: "32", Level.WARNING: "33", Level.ERROR: "31"}


def ok(what: str, found: str) -> Line:
    return Line(Level.OK, what, found)


def warning(what: str, found: str, fix: str | None = None) -> Line:
    return Line(Level.WARNING, what, found, fix)


def error(what: str, found: str, fix: str | None = None) -> Line:
    return Line(Level.ERROR, what, found, fix)
