"""Asked when the config editor is left with edits not saved."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.ui.css import sibling_css


class DiscardEdits(ModalScreen[bool]):
    """True: throw the edits away; False: back to them."""

    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [
        Binding("y,d", "dismiss(True)", "Discard"),
        Binding("n,escape", "dismiss(False)", "Keep editing"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="discard"):
            yield Static("Discard your unsaved changes to the config?", id="discard-title")
            yield Static("y discards them · n or escape goes back to editing (ctrl+s "
                         "saves there)", id="discard-hint")
