"""The event log: what happened, newest at the bottom, bounded, scrolled to the newest.

Drawn a line at a time (Textual's line API) from each entry's lines, wrapped once for the
log's width when it comes and again only when the width changes. Not a RichLog: that brings
rich.pretty and attrs into every playing process (0.9 MiB) for lines that are only text."""

from __future__ import annotations

import time
from collections import deque

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.events import Level, LogEvent
from tui.core.redact import redact
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

_STYLES = {Level.INFO: "", Level.WARNING: "yellow", Level.ERROR: "bold red"}
MAX_LINES = 500  # entries kept; the oldest goes as one more comes


class EventLog(ScrollView):
    DEFAULT_CSS = sibling_css(__file__)
    can_focus = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "Events"
        self._entries: deque[Text] = deque()
        self._counts: deque[int] = deque()  # beside each entry: its lines in `lines`
        self.lines: list[Strip] = []        # every entry's lines at `_width`, oldest first
        self._width = 0                     # what they are wrapped at; 0 before layout

    def add(self, event: LogEvent) -> None:
        entry = Text(time.strftime("%H:%M:%S "), style="dim")
        # It may quote a title, a URL, an error with a header or a config line in it.
        entry.append_text(plain(redact(event.text), style=_STYLES[event.level]))
        if len(self._entries) == MAX_LINES:
            self._entries.popleft()
            if self._counts:
                del self.lines[:self._counts.popleft()]
        self._entries.append(entry)
        if self._width:  # else it is wrapped with the rest once the log has a size
            self._append(entry)
            self._show_newest()

    def on_resize(self) -> None:
        # No width (hidden behind the Retry log's tab): wrapped when it has one again.
        width = self.scrollable_content_region.width
        if width > 0 and width != self._width:
            self._width = width
            self.lines, self._counts = [], deque()
            for entry in self._entries:
                self._append(entry)
            self._show_newest()

    def render_line(self, y: int) -> Strip:
        index, width, base = self.scroll_offset.y + y, self.scrollable_content_region.width, \
            self.rich_style
        if index >= len(self.lines):
            return Strip.blank(width, base)
        return self.lines[index].crop_extend(0, width, base).apply_style(base)

    def _append(self, entry: Text) -> None:
        console = self.app.console
        wrapped = Strip.from_lines(list(Segment.split_lines(
            console.render(entry, console.options.update_width(self._width)))))
        self._counts.append(len(wrapped))
        self.lines.extend(wrapped)

    def _show_newest(self) -> None:
        self.virtual_size = Size(self._width, len(self.lines))
        self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()
