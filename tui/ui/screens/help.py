"""The help screen: every key, generated from the bindings so it cannot drift. Where the
screen is wide enough (80 cells, the size most terminals open at) the keys are listed in
two columns, so all of them show at 80×24 without scrolling."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.keys import key_to_character
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.ui.css import sibling_css

TWO_COLUMNS = 80  # screen cells from which the keys are listed in two columns
SHORT = 30        # rows under which the screen is short (the app's -short breakpoint)


def key_label(binding: Binding) -> str:
    names = {"space": "space", "question_mark": "?", "plus": "+", "minus": "-",
             "equals_sign": "=", "left": "←", "right": "→", "up": "↑", "down": "↓",
             "shift+up": "shift+↑", "shift+down": "shift+↓", "slash": "/"}
    return " / ".join(names.get(k.strip(), _character(k.strip()))
                      for k in binding.key.split(","))


def _character(key: str) -> str:
    """A key named after a character (full_stop, as `[keys]` may give it) as that
    character; any other name as it is (pagedown, ctrl+x)."""
    char = key_to_character(key)
    return char if char is not None and char.isprintable() and not char.isspace() else key


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close help")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self._keys = bindings
        self._columns = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static("ytplay — keys", id="help-title")
            yield DataTable[str](cursor_type="none", id="help-keys")
            yield Static("escape, ? or q closes this screen", id="help-hint")

    def on_mount(self) -> None:
        self._fill()

    def on_resize(self) -> None:
        self._fill()

    def _fill(self) -> None:
        columns = 2 if self.app.size.width >= TWO_COLUMNS else 1
        table: DataTable[str] = self.query_one("#help-keys", DataTable)
        # On a short screen (24 rows) the "Key / Action" header gives its row to a key.
        table.show_header = self.app.size.height >= SHORT
        if columns == self._columns:
            return
        self._columns = columns
        table.clear(columns=True)
        table.add_columns(*["Key", "Action"] * columns)
        rows = [(key_label(b), b.description) for b in self._keys]
        height = -(-len(rows) // columns)  # down the first column, then the second
        for i in range(height):
            cells: list[str] = []
            for row in rows[i::height]:
                cells.extend(row)
            cells.extend([""] * (2 * columns - len(cells)))
            table.add_row(*cells)
