"""The add dialog: URLs, file paths or service:id references, several at once."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.ui.css import sibling_css


class AddScreen(ModalScreen[list[str] | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, play_next: bool = False) -> None:
        super().__init__()
        self.play_next = play_next

    def compose(self) -> ComposeResult:
        with Vertical(id="add"):
            yield Static("Play next" if self.play_next else "Add to the queue", id="add-title")
            yield Input(placeholder="URL, file, playlist (.m3u) or service:id — several "
                                    "separated by spaces", id="add-refs")
            yield Static("enter adds · escape cancels", id="add-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        refs = event.value.split()
        self.dismiss(refs or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
