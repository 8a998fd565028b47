"""Asks for a service's password once; it is handed to the session and never stored."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.ui.css import sibling_css
from tui.ui.widgets.text_field import TextField
from tui.ui.untrusted import plain


class LoginScreen(ModalScreen[str | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, service: str, username: str, reason: str = "") -> None:
        super().__init__()
        self.service = service
        self.username = username
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="login"):
            # Text, not str (Static reads a str as markup): the reason is the server's.
            yield Static(plain(f"Log in to {self.service} as {self.username}"),
                         id="login-title")
            if self.reason:
                # However long the server's words, the field and the keys stay on screen.
                with VerticalScroll(id="login-reason", can_focus=False):
                    yield Static(plain(self.reason))
            yield TextField(placeholder="password", password=True, id="password")
            yield Static("enter logs in · escape cancels", id="login-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
