"""The queue: one row per item, the current one marked, failures with their reason."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui.core.models import ItemStatus, QueueItem
from tui.core.timefmt import clock
from tui.ui.css import sibling_css

_MARKS = {ItemStatus.PLAYING: "▶", ItemStatus.RESOLVING: "…", ItemStatus.FAILED: "✗",
          ItemStatus.READY: " ", ItemStatus.QUEUED: " "}


class QueueTable(DataTable[str]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("enter", "play_selected", "Play selected", id="play_selected")]

    class PlayRequested(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.border_title = "Queue"

    def on_mount(self) -> None:
        self.add_column(" ", key="mark", width=1)
        self.add_column("Title", key="title")
        self.add_column("Artist", key="artist")
        self.add_column("Time", key="time", width=8)

    def show(self, items: list[QueueItem]) -> None:
        cursor = self.cursor_row
        self.clear()
        for item in items:
            title = item.label if item.status is not ItemStatus.FAILED else \
                f"{item.label} — {item.reason}"
            self.add_row(_MARKS[item.status], title, item.artist or "", clock(item.duration))
        if items:
            self.move_cursor(row=min(cursor, len(items) - 1))

    def action_play_selected(self) -> None:
        if self.row_count:
            self.post_message(self.PlayRequested(self.cursor_row))
