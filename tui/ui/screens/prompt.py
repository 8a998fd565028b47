"""A one-line question: a playlist name or path, and the like. What is typed is handed to
the dialog's action; the dialog closes when the action is done, and when it refuses, it
stays with the text as typed and the reason in place."""

from __future__ import annotations

from typing import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.ui.css import sibling_css
from tui.ui.untrusted import plain
from tui.ui.widgets.text_field import TextField

# What the dialog does with the answer: None when done, else why not (shown in place).
Act = Callable[[str], Awaitable[str | None]]


class PromptScreen(ModalScreen[None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str, act: Act, note: str = "") -> None:
        """`note`: what helps to answer (the saved playlists' names), under the field."""
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.act = act
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            # Text, not str (Static reads a str as markup): a note lists playlist names,
            # which are whatever files sit in the playlists folder.
            yield Static(plain(self.title_text), id="prompt-title")
            yield TextField(placeholder=self.placeholder, id="prompt-input")
            if self.note:
                # However long it is, the field and the keys stay on screen: it scrolls.
                with VerticalScroll(id="prompt-note", can_focus=False):
                    yield Static(plain(self.note))
            yield Static("enter confirms · escape cancels", id="prompt-hint")

    def on_input_submitted(self, event: TextField.Submitted) -> None:
        if event.value.strip():
            self._act(event.value.strip())
        else:
            self._refused("nothing typed (escape cancels)")

    @work(exclusive=True, group="prompt")
    async def _act(self, answer: str) -> None:
        why = await self.act(answer)
        if why is None:
            self.dismiss(None)
        else:
            self._refused(why)

    def _refused(self, why: str) -> None:
        hint = self.query_one("#prompt-hint", Static)
        hint.update(plain(why))
        hint.add_class("refused")

    def action_cancel(self) -> None:
        self.dismiss(None)
