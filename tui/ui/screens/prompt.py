"""A one-line question: a playlist name or path, and the like."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.ui.css import sibling_css
from tui.ui.untrusted import plain


class PromptScreen(ModalScreen[str | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            # Text, not str (Static reads a str as markup): a hint lists playlist names,
            # which are whatever files sit in the playlists folder.
            yield Static(plain(self.title_text), id="prompt-title")
            yield Input(placeholder=self.placeholder, id="prompt-input")
            yield Static(plain(self.hint or "enter confirms · escape cancels"),
                         id="prompt-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
