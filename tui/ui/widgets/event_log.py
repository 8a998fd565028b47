"""The event log: what happened, newest at the bottom, bounded."""

from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.widgets import RichLog

from tui.core.events import Level, LogEvent
from tui.core.redact import redact
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

_STYLES = {Level.INFO: "", Level.WARNING: "yellow", Level.ERROR: "bold red"}
MAX_LINES = 500


class EventLog(RichLog):
    DEFAULT_CSS = sibling_css(__file__)
    can_focus = False

    def __init__(self, **kwargs: object) -> None:
        # min_width=1: lines wrap at the log's own width, however narrow (RichLog's default
        # renders at 78 cells at least and cuts what does not fit).
        super().__init__(max_lines=MAX_LINES, wrap=True, markup=False, min_width=1,
                         **kwargs)  # type: ignore[arg-type]
        self.border_title = "Events"
        self._lines: deque[Text] = deque(maxlen=MAX_LINES)
        self._width = 0

    def add(self, event: LogEvent) -> None:
        line = Text(time.strftime("%H:%M:%S "), style="dim")
        # It may quote a title, a URL, an error with a header or a config line in it.
        line.append_text(plain(redact(event.text), style=_STYLES[event.level]))
        self._lines.append(line)
        self.write(line)

    def on_resize(self) -> None:
        # RichLog wraps a line once, when written: at a new width (the terminal resized, the
        # layout changed) every line is wrapped again, or they would be cut at the edge.
        width = self.scrollable_content_region.width
        if width != self._width and self._width:
            self.clear()
            for line in self._lines:
                self.write(line)
        self._width = width
