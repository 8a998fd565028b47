"""Saving the config over a file that changed on disk since the editor read it: both
versions' difference, and the person chooses what the file becomes."""

from __future__ import annotations

import difflib
import enum

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.ui.css import sibling_css


class Resolution(enum.Enum):
    KEEP_MINE = "keep yours"         # the editor's text over the file's changes
    TAKE_THEIRS = "take the file's"  # the file's text into the editor, the edits dropped
    MERGE = "merge"                  # both, into the editor, conflicts marked by hand


def changes(before: str, after: str, title: str) -> Text:
    """A unified diff under a title, coloured, read as plain text (the file may hold
    anything, "[bold]" included)."""
    text = Text(title + "\n", style="bold")
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), n=1,
                                      lineterm=""))[2:]  # no ---/+++ lines: the title says
    for line in lines:
        style = ("cyan" if line.startswith("@@") else "green" if line.startswith("+") else
                 "red" if line.startswith("-") else "")
        text.append(line + "\n", style=style)
    if not lines:
        text.append("(nothing)\n", style="dim")
    return text


class ConfigConflict(ModalScreen[Resolution | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [
        Binding("k", "choose('KEEP_MINE')", "Keep yours"),
        Binding("t", "choose('TAKE_THEIRS')", "Take the file's"),
        Binding("m", "choose('MERGE')", "Merge"),
        Binding("escape", "dismiss(None)", "Back to editing"),
    ]

    def __init__(self, name: str, base: str, theirs: str, mine: str) -> None:
        """`base`: the text both started from; `theirs`: the file's now; `mine`: the
        editor's."""
        super().__init__()
        self.file_name = name
        self.base = base
        self.theirs = theirs
        self.mine = mine

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict"):
            yield Static(Text(f"{self.file_name} changed on disk while you edited it"),
                         id="conflict-title")
            with VerticalScroll(id="conflict-diff"):
                yield Static(changes(self.base, self.theirs, "Changed on disk since you "
                                     "opened it:"))
                yield Static(changes(self.base, self.mine, "Your edits:"))
            yield Static("k keeps yours (the file's changes are lost) · t takes the file's "
                         "(yours are lost) · m merges both into the editor · escape goes "
                         "back to editing", id="conflict-hint")

    def action_choose(self, name: str) -> None:
        self.dismiss(Resolution[name])
