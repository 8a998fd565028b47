"""The downloads, one row each: title, bytes of the total, share, speed, and the state
with its reason (queued, fetching, retrying, done, failed). Titles and reasons are text
from outside: cleaned (tui/ui/untrusted.py)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui.core.sizefmt import human_size
from tui.session.downloads import Download, DownloadState
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

COLUMNS = ("Title", "Bytes", "%", "Speed", "State")
_STATE_STYLE = {DownloadState.DONE: "green", DownloadState.FAILED: "red",
                DownloadState.RETRYING: "yellow", DownloadState.FETCHING: "bold",
                DownloadState.QUEUED: "dim"}


def cells(d: Download) -> tuple[Text, str, str, str, Text]:
    """One row's cells."""
    got = f"{human_size(d.done)} / {human_size(d.total)}"
    share = f"{d.share * 100:.0f}%" if d.total else ""
    speed = f"{human_size(d.speed)}/s" if d.state is DownloadState.FETCHING and d.speed else ""
    state = plain(d.state.value + (f": {d.reason}" if d.reason else ""),
                  _STATE_STYLE[d.state])
    return plain(d.title), got, share, speed, state


class DownloadsView(DataTable[object]):
    DEFAULT_CSS = sibling_css(__file__)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.refs: list[str] = []

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def show(self, downloads: list[Download]) -> None:
        """Bring the rows in step: new ones added, gone ones removed, the rest updated
        cell by cell (the cursor stays where it is)."""
        wanted = [d.ref for d in downloads]
        for ref in [r for r in self.refs if r not in wanted]:
            self.remove_row(ref)
        for d in downloads:
            row = cells(d)
            if d.ref in self.refs:
                for name, value in zip(COLUMNS, row):
                    self.update_cell(d.ref, name, value, update_width=True)
            else:
                self.add_row(*row, key=d.ref)
        self.refs = wanted

    @property
    def selected(self) -> str | None:
        if not self.refs or self.cursor_row >= len(self.refs):
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return key if isinstance(key, str) else None
