"""The Now Playing panel: title, artist, state, position / duration bar, status line."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.core.nowplaying import NowPlaying, PlayState
from tui.core.timefmt import clock
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

_ICONS = {PlayState.IDLE: "■ stopped", PlayState.RESOLVING: "… resolving",
          PlayState.LOADING: "… loading", PlayState.PLAYING: "▶ playing",
          PlayState.PAUSED: "⏸ paused", PlayState.HOLDING: "⏸ holding",
          PlayState.ENDED: "■ end of queue"}


class NowPlayingPanel(Static):
    DEFAULT_CSS = sibling_css(__file__)
    now: reactive[NowPlaying] = reactive(NowPlaying, always_update=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "Now Playing"

    def watch_now(self, now: NowPlaying) -> None:
        self.update(self.render_now(now))

    def render_now(self, now: NowPlaying) -> Group:
        # One line, cut with …: a long title must not push the bar out of the panel.
        title = plain(now.title or "Nothing playing", style="bold")
        title.no_wrap, title.overflow = True, "ellipsis"
        if now.artist:
            title.append_text(plain(f"  —  {now.artist}", style="italic"))
        state = Text(_ICONS[now.state], style="bold green" if now.state is PlayState.PLAYING else "")
        state.append(f"   vol {now.volume:.0f}%", style="dim")
        times = f"{clock(now.position)} / {clock(now.duration)}"
        width = max(10, self.size.width - cell_len(times) - 6)
        known = now.duration is not None and now.duration > 0
        bar = ProgressBar(total=now.duration if known else 100.0,
                          completed=min(now.position or 0.0, now.duration) if known else 0.0,
                          width=width, pulse=not known and now.state is PlayState.PLAYING)
        row = Table.grid(padding=(0, 1))
        row.add_row(bar, Text(times))
        status = plain(now.status, style="yellow")
        status.no_wrap, status.overflow = True, "ellipsis"
        return Group(title, state, row, status)
