"""The event log: what happened, newest at the bottom, bounded."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import RichLog

from tui.core.events import Level, LogEvent
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

_STYLES = {Level.INFO: "", Level.WARNING: "yellow", Level.ERROR: "bold red"}


class EventLog(RichLog):
    DEFAULT_CSS = sibling_css(__file__)
    can_focus = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=500, wrap=True, markup=False, **kwargs)  # type: ignore[arg-type]
        self.border_title = "Events"

    def add(self, event: LogEvent) -> None:
        line = Text(time.strftime("%H:%M:%S "), style="dim")
        line.append_text(plain(event.text, style=_STYLES[event.level]))  # may quote a title
        self.write(line)
