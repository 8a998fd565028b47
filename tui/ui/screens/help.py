"""The help screen: every key, generated from the bindings so it cannot drift."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.ui.css import sibling_css


def key_label(binding: Binding) -> str:
    names = {"space": "space", "question_mark": "?", "plus": "+", "minus": "-",
             "equals_sign": "=", "left": "←", "right": "→", "up": "↑", "down": "↓",
             "shift+up": "shift+↑", "shift+down": "shift+↓", "slash": "/"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in binding.key.split(","))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close help")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self._keys = bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static("ytplay — keys", id="help-title")
            table: DataTable[str] = DataTable(cursor_type="none", id="help-keys")
            table.add_columns("Key", "Action")
            for b in self._keys:
                table.add_row(key_label(b), b.description)
            yield table
            yield Static("escape, ? or q closes this screen", id="help-hint")
