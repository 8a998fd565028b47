"""The session panel: one row per lease — access token, refresh token, stream URL, playback
session — with its state, time to expiry counting down every second, the retry under way
and the last error (redacted where it was made).

The columns fit the panel's width, measured in terminal cells, and never scroll sideways:
kind, owner, state and expires always show (expiry is the figure that explains ytplay);
the kinds are shortened (access, refresh, stream, session) before anything else is given
up; the retry and the last error have columns while there is room, and where there is none
(80 columns: the side column is 46 cells) a row that has one says it on a line of its own
under it, across the whole width: "↳ 2/4 in 4s · 503 Service Unavailable".

Drawn a line at a time (Textual's line API), not as a DataTable: the countdowns change
every second for as long as a stream plays or waits, and a DataTable draws every cell of
every row through rich again at each change (~8 ms a second, most of what a playing ytplay
spent). Here a line is made when what it says changes, and only the lines that changed are
drawn again.

While something plays, the countdowns move on with the clock in Now Playing (`beat`, called
as its second changes), so both are drawn in one frame a second, not two at their own
phases; the panel's own second runs only while the clock stands still (paused, idle)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.leases import Lease, LeaseKind, LeaseState
from tui.core.timefmt import countdown
from tui.ui.css import sibling_css
from tui.ui.untrusted import fit, plain

_STYLES = {LeaseState.FRESH: "green", LeaseState.REFRESHING: "yellow",
           LeaseState.RETRYING: "yellow", LeaseState.EXPIRED: "red", LeaseState.FAILED: "bold red"}
# Shown where the full names would cost a column or the error's room (see plan).
SHORT_KINDS = {LeaseKind.ACCESS_TOKEN: "access", LeaseKind.REFRESH_TOKEN: "refresh",
               LeaseKind.STREAM_URL: "stream", LeaseKind.PLAYBACK_SESSION: "session"}
LABELS = {"kind": "Kind", "owner": "Owner", "state": "State", "expires": "Expires",
          "retry": "Retry", "error": "Last error"}
PAD = 2          # DataTable's cell padding: one cell either side of every column
MIN_OWNER = 8    # cells the owner keeps before any optional column is shown
MIN_ERROR = 12   # an error cut shorter than this says nothing; the column is dropped
COMFORT_ERROR = 24  # below this, the error's room matters more than the kinds' full names


def _widest(texts: Iterable[str]) -> int:
    return max(cell_len(t) for t in texts)


# Columns with a fixed vocabulary get the width of their longest word, so the layout does
# not shift when a lease changes state: "refreshing", "expired", "23h59m".
KIND_W = _widest([k.value for k in LeaseKind] + [LABELS["kind"]])
SHORT_KIND_W = _widest([*SHORT_KINDS.values(), LABELS["kind"]])
STATE_W = _widest([s.value for s in LeaseState] + [LABELS["state"]])
EXPIRES_W = _widest(["expired", "23h59m", "59m59s", LABELS["expires"]])
# The retry's width grows with what is shown: a config with more attempts or longer
# backoffs than the defaults ("4/4 in 8s") makes it wider.
RETRY_W = _widest(["4/4 in 8s", LABELS["retry"]])


@dataclass(frozen=True)
class Layout:
    """The columns shown, in order, and each one's width in cells (padding excluded)."""

    columns: tuple[tuple[str, int], ...]
    short_kinds: bool

    def width(self, key: str) -> int | None:
        return dict(self.columns).get(key)


def plan(width: int, owner: int, retry_w: int = RETRY_W) -> Layout:
    """The columns for a table `width` cells wide whose longest owner takes `owner` cells
    and longest retry `retry_w`. Kind, owner, state and expires always; then the retry and
    the last error while they fit; what is spare goes to the owner, up to its length (half
    of it when there is an error column), and the error takes the rest. The kinds are
    named in full only where that costs nothing else: every column shows, and the error
    keeps room to say something; elsewhere they are shortened, the same at every narrower
    width, so the panel does not switch back and forth as a terminal is resized."""
    full = _plan(width, owner, retry_w, False)
    if len(full.columns) == 6 and (full.width("error") or 0) >= COMFORT_ERROR:
        return full
    return _plan(width, owner, retry_w, True)


def _plan(width: int, owner: int, retry_w: int, short: bool) -> Layout:
    kind = SHORT_KIND_W if short else KIND_W
    used = kind + STATE_W + EXPIRES_W + 4 * PAD
    owner_min = min(MIN_OWNER, owner)
    retry = used + owner_min + retry_w + PAD <= width
    used += (retry_w + PAD) * retry
    error = used + owner_min + MIN_ERROR + PAD <= width
    used += PAD * error
    spare = width - used - owner_min - MIN_ERROR * error
    # With an error column, the owner grows into half of what is spare: an error says
    # more when it is longer, a title rarely does.
    owner_w = max(1, min(owner, owner_min + (spare // 2 if error else spare)))
    columns = [("kind", kind), ("owner", owner_w), ("state", STATE_W), ("expires", EXPIRES_W)]
    if retry:
        columns.append(("retry", retry_w))
    if error:
        columns.append(("error", max(MIN_ERROR, width - used - owner_w)))
    return Layout(tuple(columns), short)


def detail(lease: Lease, now: float, layout: Layout) -> str:
    """What a row says on a line of its own: the retry and the last error it has, where
    the layout has no column for them."""
    parts = []
    if layout.width("retry") is None:
        parts.append(_retry(lease, now))
    if layout.width("error") is None:
        parts.append(lease.last_error or "")
    said = " · ".join(p for p in parts if p)
    return f"↳ {said}" if said else ""


def _retry(lease: Lease, now: float) -> str:
    """The retry under way: attempt n of N, and in how long the next one goes."""
    if not (lease.attempt and lease.attempts):
        return ""
    text = f"{lease.attempt}/{lease.attempts}"
    if lease.next_retry_at is not None and lease.next_retry_at >= now:
        text += f" in {lease.next_retry_at - now:.0f}s"
    return text


class SessionPanel(ScrollView):
    DEFAULT_CSS = sibling_css(__file__)
    COMPONENT_CLASSES = {"session-panel--header"}
    can_focus = False

    def __init__(self, leases: Callable[[], Iterable[Lease]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._leases = leases
        self.layout_: Layout | None = None
        self._rows: list[list[Text]] = []   # each lease's lines, as drawn last
        self._lines: list[Text] = []        # every line below the header, in order
        self._strips: dict[tuple[int, int], Strip] = {}  # (line, width) → drawn
        self._next: asyncio.TimerHandle | None = None     # the panel's own second
        self.border_title = "Session"

    # --- what tests and the app read ------------------------------------------------------

    @property
    def labels(self) -> list[str]:
        """The columns' titles, left to right."""
        return [] if self.layout_ is None else [LABELS[k] for k, _ in self.layout_.columns]

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def get_row_at(self, index: int) -> list[str]:
        """Row `index`'s cells, as its first line says them (each without its padding)."""
        assert self.layout_ is not None
        line, cells, x = self._rows[index][0].plain, [], 0
        for _, width in self.layout_.columns:
            cells.append(line[x:x + width + PAD].strip())
            x += width + PAD
        return cells

    # --- keeping up -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self.beat()

    def on_unmount(self) -> None:
        if self._next is not None:
            self._next.cancel()

    def beat(self, by_clock: bool = False) -> None:
        """Bring the rows up to now, and do it again in a second unless beaten again first.
        After the clock's beat the panel waits a little longer for the next: libmpv's
        seconds come a few hundredths early or late. (A loop callback, not a Textual timer:
        it is put off at every beat, and a timer's reset still wakes at its old time.)"""
        self.refresh_rows()
        if self._next is not None:
            self._next.cancel()
        self._next = asyncio.get_running_loop().call_later(1.25 if by_clock else 1.0, self.beat)

    def on_resize(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        now = time.time()
        leases = list(self._leases())
        owner = max([cell_len(LABELS["owner"]), *(cell_len(plain(x.owner).plain) for x in leases)])
        retry = max([RETRY_W, *(cell_len(_retry(x, now)) for x in leases)])
        # The scrollbar's room is kept (scrollbar-gutter: stable), so a table that grows
        # taller than the panel never pushes its last column under the scrollbar.
        layout = plan(self.scrollable_content_region.width, owner, retry)
        rows = [self._row(lease, now, layout) for lease in leases]
        if layout == self.layout_ and rows == self._rows:
            return  # a second with no countdown, no state, no row changed: nothing to draw
        lines = [line for row in rows for line in row]
        if layout != self.layout_ or len(lines) != len(self._lines):
            self.layout_, self._strips = layout, {}
            self.virtual_size = Size(sum(w + PAD for _, w in layout.columns), 1 + len(lines))
            self.refresh()
        else:
            for y, (was, line) in enumerate(zip(self._lines, lines)):
                if was != line:
                    self._strips = {k: v for k, v in self._strips.items() if k[0] != y + 1}
                    self.refresh_line(y + 1)
        self._rows, self._lines = rows, lines

    @staticmethod
    def _row(lease: Lease, now: float, layout: Layout) -> list[Text]:
        """The lease's line, and a second one where it says its retry or its error on a line
        of its own."""
        state = lease.state_at(now)
        left = None if lease.expires_at is None else lease.expires_at - now
        kind = SHORT_KINDS[lease.kind] if layout.short_kinds else lease.kind.value
        # The owner (a track title) and the error come from outside: cleaned and cut to
        # their column in cells, never read as markup.
        cells: dict[str, Text] = {
            "kind": Text(kind), "owner": plain(fit(lease.owner, layout.width("owner") or 0)),
            "state": Text(state.value, style=_STYLES[state]),
            "expires": Text(countdown(left)), "retry": Text(_retry(lease, now)),
            "error": plain(fit(lease.last_error or "", layout.width("error") or 0))}
        line = Text()
        for column, (key, width) in enumerate(layout.columns):
            # A space either side of what it says. Each cell is marked as its own (as a
            # DataTable marks its cells), so an SVG export draws it as a run of its own,
            # starting at its column, not as part of a run of spaces from the cell before.
            start = len(line)
            line.append(" ")
            line.append_text(cells[key])
            line.pad_right(start + width + PAD - len(line))
            line.stylize(Style(meta={"column": column}), start, len(line))
        said = detail(lease, now, layout)
        if not said:
            return [line]
        total = sum(w + PAD for _, w in layout.columns)
        return [line, plain(fit(" " + said, total - 1), style="italic")]

    # --- drawing --------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = {}  # a theme changed: the lines are drawn again in its colours

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        key = (index, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._draw(index, width)
        return strip

    def _draw(self, index: int, width: int) -> Strip:
        base = self.rich_style
        if index == 0:
            base += self.get_component_rich_style("session-panel--header")
            line = Text()
            for column, (key, cells) in enumerate(self.layout_.columns if self.layout_ else ()):
                start = len(line)
                line.append(f" {LABELS[key]}".ljust(cells + PAD))
                line.stylize(Style(meta={"column": column}), start, len(line))
        elif index - 1 < len(self._lines):
            line = self._lines[index - 1]
        else:
            return Strip.blank(width, base)
        return Strip(line.render(self.app.console)).adjust_cell_length(width, base) \
            .apply_style(base)
