"""Filter-as-you-type for the queue: shown by `/`; enter goes back to the list with the
filter kept, escape clears it and goes back."""

from __future__ import annotations

from typing import Callable

from textual.binding import Binding

from tui.ui.css import sibling_css

from .text_field import TextField


class FilterBar(TextField):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter"),
        Binding("enter", "back", "Keep the filter", show=False, id="leave_filter"),
    ]

    def __init__(self, back: Callable[[], None], **kwargs: object) -> None:
        """`back`: gives the focus back to the list, at once, so that the keys typed right
        after enter or escape act on it (tui/ui/widgets/text_field.py)."""
        super().__init__(placeholder="filter: title, artist or URL", **kwargs)  # type: ignore[arg-type]
        self._back = back

    def action_back(self) -> None:
        self._back()
        if not self.value:
            self.display = False

    def action_clear_filter(self) -> None:
        self.value = ""
        self.action_back()
