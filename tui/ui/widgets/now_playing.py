"""The Now Playing panel: the cover (where there is room), title, artist, state, position /
duration bar, status line."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.events import Resize
from textual.geometry import Region
from textual.reactive import reactive, var
from textual.strip import Strip
from textual.widget import Widget

from tui.core.nowplaying import NowPlaying, PlayState
from tui.core.timefmt import clock
from tui.ui import graphics
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

from .cover import CoverArt, CoverFetch
from .queue_view import cache_mark

_ICONS = {PlayState.IDLE: "■ stopped", PlayState.RESOLVING: "… resolving",
          PlayState.LOADING: "… loading", PlayState.PLAYING: "▶ playing",
          PlayState.PAUSED: "⏸ paused", PlayState.HOLDING: "⏸ holding",
          PlayState.ENDED: "■ end of queue"}


# Below this the cover would not help: it would take room the title and the bar need.
COVER_MIN_WIDTH = graphics.COVER_MIN_WIDTH  # terminal columns (the terminal is asked from there)
COVER_MIN_HEIGHT = 6    # rows of the panel, its border included
LINES = 4               # of text: title, state, bar, status


class NowPlayingPanel(Widget):
    DEFAULT_CSS = sibling_css(__file__)
    # Handed on to the text and the cover, which draw what changed: the panel itself (its
    # border) is not repainted for each.
    now: var[NowPlaying] = var(NowPlaying, always_update=True)
    cover_mode: reactive[str] = reactive("auto")  # [ui] cover: "auto" or "off"

    def __init__(self, covers: CoverFetch | None = None, **kwargs: object) -> None:
        """`covers`: finds the image file of a cover (the session's cover store); without
        it no cover shows."""
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "Now Playing"
        self._covers = covers

    def compose(self) -> ComposeResult:
        yield CoverArt(self._covers)
        yield NowPlayingText()

    def watch_now(self, now: NowPlaying) -> None:
        for text in self.query(NowPlayingText):
            text.now = now
        self._show_cover()

    def _show_cover(self) -> None:
        now = self.now
        for cover in self.query(CoverArt):
            cover.show(now.cover if now.index is not None and self.cover_mode != "off"
                       else None)

    def watch_cover_mode(self, old: str, mode: str) -> None:
        # Turned on in a run that started with covers off: the terminal was not asked. (A
        # terminal too narrow for a cover at start was not asked either, and is not told.)
        if old == "off" and mode != "off" and not graphics.available_later():
            self.notify("cover art shows from the next start: the terminal is asked what "
                        "it can draw before the screen starts", markup=False)
        self._show_cover()
        self._place_cover()

    def on_resize(self, _event: Resize) -> None:
        self._place_cover()

    def on_cover_art_changed(self, _message: CoverArt.Changed) -> None:
        self._place_cover()

    def _place_cover(self) -> None:
        """Show the cover when there is one and room for it, as tall as the panel's
        inside, as wide as its picture's shape asks (a cell is about twice as tall as
        wide)."""
        for cover in self.query(CoverArt):
            rows = self.size.height
            fits = (self.cover_mode != "off" and cover.picture is not None
                    and self.app.size.width >= COVER_MIN_WIDTH
                    and self.outer_size.height >= COVER_MIN_HEIGHT)
            cover.display = fits
            if fits:
                cover.styles.height = rows
                cover.styles.width = max(1, min(rows * 4, round(rows * 2 * cover.aspect)))


class NowPlayingText(Widget):
    """Title and artist, state and volume, the position bar, the status line: a line each,
    drawn a line at a time (Textual's line API). While a track plays only the bar's line
    changes, once a second: it alone is made and sent again, not the four (a Static draws
    all of its text through rich at every update)."""

    now: var[NowPlaying] = var(NowPlaying, always_update=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: list[object] = [None] * LINES  # what each line shows, as drawn last
        self._strips: dict[int, Strip] = {}

    def watch_now(self, now: NowPlaying) -> None:
        width = self.size.width
        # What each line shows, in the units it shows it: the clock shows whole seconds,
        # the bar moves a cell at a time (the position comes with every second anyway).
        shown = [(now.title, now.artist, width),
                 (now.state, round(now.volume), cache_mark(now.cached), width),
                 (now.live, None if now.position is None else int(now.position),
                  now.duration and round(now.duration), now.state is PlayState.PLAYING, width),
                 (now.status, width)]
        for y, (was, what) in enumerate(zip(self._shown, shown)):
            if was != what:
                self._strips.pop(y, None)
                self.refresh(Region(0, y, width, 1))
        self._shown = shown

    def on_resize(self, _event: Resize) -> None:
        self._shown, self._strips = [None] * LINES, {}
        self.watch_now(self.now)  # the bar takes the width there is

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = {}  # a theme changed: the lines are drawn again in its colours

    def render_line(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is None:
            width, base = self.size.width, self.rich_style
            if y >= LINES:
                return Strip.blank(width, base)
            console = self.app.console
            lines = console.render_lines(self._line(self.now, y),
                                         console.options.update(width=width, height=1),
                                         style=base, pad=True)
            strip = self._strips[y] = Strip(lines[0], width).apply_style(base)
        return strip

    def render_now(self, now: NowPlaying) -> Group:
        return Group(*(self._line(now, y) for y in range(LINES)))

    def _line(self, now: NowPlaying, y: int) -> RenderableType:
        if y == 0:
            # One line, cut with …: a long title must not push the bar out of the panel.
            title = plain(now.title or "Nothing playing", style="bold")
            title.no_wrap, title.overflow = True, "ellipsis"
            if now.artist:
                title.append_text(plain(f"  —  {now.artist}", style="italic"))
            return title
        if y == 1:
            state = Text(_ICONS[now.state],
                         style="bold green" if now.state is PlayState.PLAYING else "")
            state.append(f"   vol {now.volume:.0f}%", style="dim")
            if now.cached > 0:
                state.append(f"   {cache_mark(now.cached)}cached", style="dim")
            return state
        if y == 2:
            return self._times(now)
        status = plain(now.status, style="yellow")
        status.no_wrap, status.overflow = True, "ellipsis"
        return status

    def _times(self, now: NowPlaying) -> Table | Text:
        """Position / duration with a bar; of a live stream, which has no length and
        nothing to seek in, the time listened and "live", with no bar."""
        if now.live:
            return Text(f"{clock(now.position)} / live")
        times = f"{clock(now.position)} / {clock(now.duration)}"
        width = max(10, self.size.width - cell_len(times) - 6)
        known = now.duration is not None and now.duration > 0
        bar = ProgressBar(total=now.duration if known else 100.0,
                          completed=min(now.position or 0.0, now.duration) if known else 0.0,
                          width=width, pulse=not known and now.state is PlayState.PLAYING)
        row = Table.grid(padding=(0, 1))
        row.add_row(bar, Text(times))
        return row
