"""Search: the services' libraries (the demo catalogue among them) and, where the network
allows, yt-dlp's YouTube search, side by side; enter adds a result to the queue."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from tui.core.m3u import Entry
from tui.core.redact import redact
from tui.core.timefmt import clock
from tui.ui.css import sibling_css
from tui.ui.widgets.text_field import TextField
from tui.ui.untrusted import fit, plain

Search = Callable[[str], Awaitable[list[Entry]]]
TIMEOUT = 20.0  # s; an unreachable network must not keep the dialog waiting


class SearchScreen(ModalScreen[None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, sources: dict[str, Search], add: Callable[[Entry], None],
                 query: str = "") -> None:
        """`query`: searched for at once (text the add dialog could not queue)."""
        super().__init__()
        self.sources = sources
        self.add = add
        self.query_text = query
        self.results: list[Entry] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search"):
            yield TextField(self.query_text, placeholder="search titles and artists",
                            id="search-query")
            yield Static("enter searches · in the results, enter adds to the queue · "
                         "escape closes", id="search-status")
            table: DataTable[object] = DataTable(cursor_type="row", id="search-results")
            table.add_columns("From", "Title", "Artist", "Time")
            yield table

    def on_mount(self) -> None:
        if self.query_text.strip():
            self._search(self.query_text.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.results = []
            self.query_one(DataTable).clear()
            self._search(event.value.strip())

    @work(exclusive=True, group="search")
    async def _search(self, query: str) -> None:
        status = self.query_one("#search-status", Static)
        notes: dict[str, str] = {name: "searching…" for name in self.sources}
        status.update(" · ".join(f"{k}: {v}" for k, v in notes.items()))

        async def one(name: str, search: Search) -> None:
            try:
                found = await asyncio.wait_for(search(query), TIMEOUT)
            except Exception as e:  # each source fails on its own terms: say so, go on
                notes[name] = f"unavailable ({fit(redact(str(e)), 60)})"
            else:
                notes[name] = f"{len(found)} found"
                table = self.query_one(DataTable)
                for entry in found:
                    self.results.append(entry)
                    # Text cells: a str cell is read as markup, and results are the
                    # service's (or YouTube's) text.
                    table.add_row(name, plain(entry.title or entry.ref), plain(entry.artist),
                                  clock(entry.duration))
                if found and self.query_one(Input).has_focus:
                    table.focus()
            status.update(plain(" · ".join(f"{k}: {v}" for k, v in notes.items())))
        await asyncio.gather(*(one(n, s) for n, s in self.sources.items()))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        entry = self.results[event.cursor_row]
        self.add(entry)
        self.notify(f"added {fit(entry.title or entry.ref, 80)}", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
