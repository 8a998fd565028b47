"""The downloads, one entry each: the title, bytes of the total, share and speed on its
first line; under it the state with its reason (queued, fetching, retrying, done, failed),
wrapped to the width there is. A reason is a sentence ("this stream cannot be kept (HLS,
DASH or not over HTTP)"): in a table's column it was cut at 120 columns. Titles and
reasons are text from outside: cleaned (tui/ui/untrusted.py)."""

from __future__ import annotations

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.core.sizefmt import human_size
from tui.session.downloads import Download, DownloadState
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

_STATE_STYLE = {DownloadState.DONE: "green", DownloadState.FAILED: "red",
                DownloadState.RETRYING: "yellow", DownloadState.FETCHING: "bold",
                DownloadState.QUEUED: "dim"}
# The numbers' columns, as wide as their widest ("999.9 MiB / 999.9 MiB", "100%",
# "999.9 MiB/s"), so they line up from one entry to the next.
_BYTES, _SHARE, _SPEED = 21, 4, 11


def entry(d: Download) -> Group:
    """One download as the view draws it."""
    got = f"{human_size(d.done)} / {human_size(d.total)}"
    share = f"{d.share * 100:.0f}%" if d.total else ""
    speed = f"{human_size(d.speed)}/s" if d.state is DownloadState.FETCHING and d.speed else ""
    head = Table.grid(expand=True, padding=(0, 1))
    head.add_column(ratio=1, no_wrap=True, overflow="ellipsis")  # the title gives way
    for width in (_BYTES, _SHARE, _SPEED):
        head.add_column(justify="right", width=width, no_wrap=True)
    head.add_row(plain(d.title, style="bold"), got, share, speed)
    state: Text = plain(d.state.value + (f": {d.reason}" if d.reason else ""),
                        _STATE_STYLE[d.state])
    return Group(head, Padding(state, (0, 0, 0, 2)))  # wraps, under the title


class DownloadsView(OptionList):
    DEFAULT_CSS = sibling_css(__file__)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.refs: list[str] = []

    def show(self, downloads: list[Download]) -> None:
        """Bring the entries in step: new ones added, gone ones removed, the rest drawn
        again (the highlight stays where it is)."""
        wanted = [d.ref for d in downloads]
        for ref in [r for r in self.refs if r not in wanted]:
            self.remove_option(ref)
        for d in downloads:
            if d.ref in self.refs:
                self.replace_option_prompt(d.ref, entry(d))
            else:
                self.add_option(Option(entry(d), id=d.ref))
        self.refs = wanted
        if self.highlighted is None and wanted:
            self.highlighted = 0

    @property
    def selected(self) -> str | None:
        """The reference of the highlighted download."""
        if self.highlighted is None or not self.refs:
            return None
        return self.get_option_at_index(self.highlighted).id
