"""The downloads screen (`v`): every kept item with its progress; `x` stops one and unpins
it (what was fetched stays as ordinary cache), `r` tries a failed one again."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.session.downloads import Downloads
from tui.ui.css import sibling_css
from tui.ui.widgets.downloads_view import DownloadsView


class DownloadsScreen(ModalScreen[None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [Binding("escape,v", "close", "Close", id="downloads_close"),
                Binding("x,delete", "cancel_download", "Stop and unpin", id="downloads_cancel"),
                Binding("r", "retry_download", "Try again", id="downloads_retry")]

    def __init__(self, downloads: Downloads) -> None:
        super().__init__()
        self.downloads = downloads

    def compose(self) -> ComposeResult:
        with Vertical(id="downloads"):
            yield Static("Downloads — kept for listening offline", id="downloads-title")
            yield DownloadsView(id="downloads-table")
            yield Static("x stops and unpins · r tries a failed one again · escape closes",
                         id="downloads-hint")

    def on_mount(self) -> None:
        self.downloads.listeners.append(self._changed)
        self._changed()

    def on_unmount(self) -> None:
        if self._changed in self.downloads.listeners:
            self.downloads.listeners.remove(self._changed)

    def _changed(self) -> None:
        items = self.downloads.items()
        self.query_one(DownloadsView).show(items)
        self.query_one("#downloads-title", Static).update(
            f"Downloads — {len(items)} kept for listening offline"
            f"{' (offline: nothing is fetched)' if self.downloads.session.connectivity.forced else ''}")

    def action_cancel_download(self) -> None:
        ref = self.query_one(DownloadsView).selected
        if ref is not None:
            self.downloads.cancel(ref)

    def action_retry_download(self) -> None:
        ref = self.query_one(DownloadsView).selected
        if ref is not None:
            self.downloads.retry(ref)

    def action_close(self) -> None:
        self.dismiss(None)
