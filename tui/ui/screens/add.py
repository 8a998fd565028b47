"""The add dialog: URLs, file paths or service:id references, several at once. Text that
names nothing to play is refused in place, with the reason, and can be searched for
instead; it is never queued to fail when its turn comes."""

from __future__ import annotations

import os.path
from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.core.refs import why_not_a_ref
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain
from tui.ui.widgets.text_field import TextField

HINT = "enter adds · escape cancels"


def refs_in(text: str) -> list[str]:
    """The references typed: separated by spaces, unless the whole text names a file that
    is there (a path with spaces in it)."""
    text = text.strip()
    if text and os.path.exists(os.path.expanduser(text)):
        return [text]
    return text.split()


class AddScreen(ModalScreen[list[str] | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+f", "search", "Search for it instead"),
    ]

    def __init__(self, play_next: bool = False,
                 search: Callable[[str], None] | None = None) -> None:
        """`search(text)`: opens the search with `text` (ctrl+f, for text that is no
        reference)."""
        super().__init__()
        self.play_next = play_next
        self.search = search

    def compose(self) -> ComposeResult:
        with Vertical(id="add"):
            yield Static("Play next" if self.play_next else "Add to the queue", id="add-title")
            yield TextField(placeholder="URLs, files, playlists or service:id, space-separated",
                            id="add-refs")
            yield Static(HINT, id="add-hint")

    def on_input_submitted(self, event: TextField.Submitted) -> None:
        refs = refs_in(event.value)
        why = next((w for r in refs if (w := why_not_a_ref(
            r, lambda p: os.path.exists(os.path.expanduser(p)))) is not None), None)
        if why is None:
            self.dismiss(refs or None)
            return
        hint = self.query_one("#add-hint", Static)
        hint.update(plain(f"{why}. " + ("ctrl+f searches for it instead · " if self.search
                                        else "") + "escape cancels"))
        hint.add_class("refused")

    def action_search(self) -> None:
        text = self.query_one(TextField).value.strip()
        if self.search is not None and text:
            search = self.search
            self.dismiss(None)
            search(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
