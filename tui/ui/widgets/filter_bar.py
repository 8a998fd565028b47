"""Filter-as-you-type for the queue: shown by `/`, hidden (and cleared) by escape."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from tui.ui.css import sibling_css


class FilterBar(Input):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", id="clear_filter")]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(placeholder="filter: title, artist or URL", **kwargs)  # type: ignore[arg-type]

    def action_clear_filter(self) -> None:
        self.value = ""
        self.display = False
