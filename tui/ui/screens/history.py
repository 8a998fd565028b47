"""What was played, newest first; enter plays it again."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.core.timefmt import clock
from tui.session.store import Played
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain


class HistoryScreen(ModalScreen[Played | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape,h", "cancel", "Close"),
                Binding("enter", "replay", "Play again", priority=True)]

    def __init__(self, played: list[Played]) -> None:
        super().__init__()
        self.played = played

    def compose(self) -> ComposeResult:
        with Vertical(id="history"):
            yield Static(f"History — {len(self.played)} played, newest first", id="history-title")
            table: DataTable[object] = DataTable(cursor_type="row", id="history-table")
            table.add_columns("When", "Title", "Artist", "Time")
            for p in self.played:
                # Text cells: DataTable reads a str cell as markup, and titles come from
                # wherever the track came from.
                table.add_row(time.strftime("%d %b %H:%M", time.localtime(p.at)),
                              plain(p.title or p.ref), plain(p.artist), clock(p.duration))
            yield table
            yield Static("enter plays it again · escape closes", id="history-hint")

    def action_replay(self) -> None:
        table = self.query_one(DataTable)
        if self.played:
            self.dismiss(self.played[table.cursor_row])

    def action_cancel(self) -> None:
        self.dismiss(None)
