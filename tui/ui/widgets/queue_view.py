"""The queue as a virtual list: only the visible rows are drawn, straight from the queue,
so 10,000 items cost what 30 do. Keys move the cursor and edit the queue; the current item
is marked, failures show their reason."""

from __future__ import annotations

import dataclasses
import enum
from typing import Callable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.models import ItemStatus, QueueItem
from tui.core.queue import Queue
from tui.core.timefmt import clock
from tui.ui.css import sibling_css
from tui.ui.untrusted import fit, pad, plain

_MARKS = {ItemStatus.PLAYING: "▶", ItemStatus.RESOLVING: "…", ItemStatus.FAILED: "✗",
          ItemStatus.READY: "✓", ItemStatus.QUEUED: " "}


class QueueEdit(enum.Enum):
    """What a queue key asks for; the app carries it out."""

    PLAY = "play"
    MOVE_UP = "move_up"
    MOVE_DOWN = "move_down"
    MOVE_TOP = "move_top"
    REMOVE = "remove"
    UNDO = "undo"
    CLEAR = "clear"
    ADD = "add"
    ADD_NEXT = "add_next"
    FILTER = "filter"
    SHUFFLE = "shuffle"
    REPEAT = "repeat"


def cache_mark(share: float) -> str:
    """How much of an item the media cache holds: "●" all of it (it plays from there),
    "◐ 40%" part of it, nothing when none."""
    if share >= 1.0:
        return "● "
    return f"◐ {int(share * 100)}% " if share > 0 else ""


# The artist column shows only while the title keeps at least this many cells.
MIN_TITLE = 8


class QueueView(ScrollView, can_focus=True):
    DEFAULT_CSS = sibling_css(__file__)
    # All priority (while the queue has the focus): carried out as the app reads each key,
    # in the order typed, with the app's own (tui/ui/keys.py says why). Keys typed right
    # after / or a then go into the field these open.
    BINDINGS = [dataclasses.replace(b, priority=True) for b in [
        Binding("enter", "play_selected", "Play selected", id="play_selected"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="cursor_down"),
        Binding("up,k", "cursor(-1)", "Up", show=False, id="cursor_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="page_up"),
        Binding("home,g", "edge(0)", "First", show=False, id="first"),
        Binding("end,G", "edge(1)", "Last", show=False, id="last"),
        Binding("shift+down,J", "move(1)", "Move down", show=False, id="move_down"),
        Binding("shift+up,K", "move(-1)", "Move up", show=False, id="move_up"),
        Binding("T", "edit('move_top')", "Move to top", show=False, id="move_top"),
        Binding("d,delete", "edit('remove')", "Remove", id="remove"),
        Binding("u", "edit('undo')", "Undo remove", show=False, id="undo"),
        Binding("C", "edit('clear')", "Clear what is shown", show=False,
                id="clear"),
        Binding("a", "edit('add')", "Add", id="add"),
        Binding("A", "edit('add_next')", "Add to play next", show=False, id="add_next"),
        Binding("slash", "edit('filter')", "Filter", id="filter"),
        Binding("s", "edit('shuffle')", "Shuffle", show=False, id="shuffle"),
        Binding("r", "edit('repeat')", "Repeat", show=False, id="repeat"),
    ]]

    cursor: reactive[int] = reactive(0, repaint=True)

    def __init__(self, queue: Callable[[], Queue],
                 edit: Callable[[QueueEdit, int | None], None], **kwargs: object) -> None:
        """`edit`: carries out a queue edit the person asked for on a queue index. Called
        while the key is handled, not posted as a message: keys typed at once are queued
        before the first is handled, and a message would come after all of them (what is
        typed right after / would act on the queue instead of going into the filter)."""
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._queue = queue
        self._edit = edit
        self.filter_text = ""
        self.view: list[int] = []          # queue indexes shown, ascending
        # The cursor goes to the current item (a restored queue's, a playlist's first) until
        # the person moves it: what a restart resumes is in view, however far down it is.
        self.follow_current = True
        self.border_title = "Queue"

    # --- what is shown --------------------------------------------------------------------

    @property
    def queue(self) -> Queue:
        return self._queue()

    def on_mount(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        """Re-read the queue (after it changed) and redraw what is visible."""
        q = self.queue
        self.view = q.matching(self.filter_text) if self.filter_text else list(range(len(q)))
        self.virtual_size = Size(self.row_width, len(self.view))
        current = q.current_index
        if self.follow_current and current is not None and current in self.view:
            self.cursor = self.view.index(current)
        self.cursor = max(0, min(self.cursor, len(self.view) - 1))
        bits = [f"{len(q)} items"]
        if self.filter_text:
            bits.insert(0, f"/{self.filter_text}: {len(self.view)} match")
        if q.shuffled:
            bits.append("shuffle")
        if q.repeat.value != "off":
            bits.append(f"repeat {q.repeat.value}")
        # A Text, not a str: a string border title is read as markup, and the filter
        # text is typed (or pasted from a title).
        self.border_subtitle = plain(" · ".join(bits))
        self._keep_cursor_visible()
        self.refresh()

    def set_filter(self, text: str) -> None:
        selected = self.selected_index
        self.filter_text = text
        self.refresh_view()
        if selected is not None and selected in self.view:
            self.cursor = self.view.index(selected)
            self._keep_cursor_visible()

    @property
    def selected_index(self) -> int | None:
        """The queue index under the cursor."""
        return self.view[self.cursor] if 0 <= self.cursor < len(self.view) else None

    def select(self, index: int) -> None:
        self.follow_current = False
        if index in self.view:
            self.cursor = self.view.index(index)
            self._keep_cursor_visible()

    @property
    def row_width(self) -> int:
        """The cells a row has: the content's width less the scrollbar's room, which the
        stylesheet always keeps (scrollbar-gutter: stable), so the time column at the right
        edge is never under the scrollbar, and rows do not reflow when it appears."""
        return self.scrollable_size.width

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.row_width
        if row >= len(self.view):
            return Strip.blank(width, self.rich_style)
        q = self.queue
        item = q[self.view[row]]
        segments = self._segments(item, item is q.current, row == self.cursor, width)
        # Exactly `width` cells whatever the text: a row too narrow for its columns is cut
        # here, never left to spill into the scrollbar.
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def _segments(self, item: QueueItem, current: bool, cursor: bool,
                  width: int) -> list[Segment]:
        """One row: mark, title (padded), artist, time at the right edge. Every width is
        in terminal cells, and every text from outside is cleaned (tui/ui/untrusted.py)."""
        base = self.rich_style
        if cursor:
            base += Style(reverse=True) if self.has_focus else Style(bgcolor="grey23")
        time = f"  {cache_mark(item.cached)}{clock(item.duration)}"
        artist = fit(item.artist or "", max(0, min(24, width // 4)))
        title_w = width - 2 - cell_len(time)
        if artist and title_w - cell_len(artist) - 2 >= MIN_TITLE:
            title_w -= cell_len(artist) + 2
        else:
            artist = ""
        # Why it failed, or why it cannot play now (offline): said on the item itself.
        title = f"{item.label} — {item.reason}" if item.reason else item.label
        mark = _MARKS[item.status]
        if current and item.status in (ItemStatus.QUEUED, ItemStatus.READY, ItemStatus.PLAYING):
            mark = "▶" if item.status is ItemStatus.PLAYING else "▷"  # ▷: where space resumes
        style = base + Style(bold=True) if current else base
        if item.status is ItemStatus.FAILED:
            style += Style(color="red")
        segments = [Segment(f"{mark} ", style), Segment(pad(title, max(0, title_w)), style)]
        if artist:
            segments.append(Segment("  " + artist, base + Style(italic=True)))
        segments.append(Segment(time, base + Style(dim=True)))
        return segments

    def _keep_cursor_visible(self) -> None:
        if self.size.height:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True)

    def watch_cursor(self) -> None:
        self._keep_cursor_visible()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.row_width, len(self.view))
        self._keep_cursor_visible()  # the first size: a restored cursor far down comes into view

    # --- keys and mouse -------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self.follow_current = False
        if self.view:
            self.cursor = max(0, min(len(self.view) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_edge(self, end: int) -> None:
        self.follow_current = False
        if self.view:
            self.cursor = len(self.view) - 1 if end else 0

    def on_click(self, event: events.Click) -> None:
        inside = event.get_content_offset(self)
        if inside is None:
            return  # on the border or the scrollbar
        row = inside.y + self.scroll_offset.y
        if 0 <= row < len(self.view):
            self.follow_current = False
            self.cursor = row
            if event.chain >= 2:
                self.action_play_selected()

    def action_edit(self, name: str) -> None:
        """Ask for queue edit `name` (a QueueEdit value, from a binding) on the selected
        item (the app carries it out)."""
        self._edit(QueueEdit(name), self.selected_index)

    def action_play_selected(self) -> None:
        if self.selected_index is not None:
            self._edit(QueueEdit.PLAY, self.selected_index)

    def action_move(self, delta: int) -> None:
        edit = QueueEdit.MOVE_DOWN if delta > 0 else QueueEdit.MOVE_UP
        self._edit(edit, self.selected_index)
