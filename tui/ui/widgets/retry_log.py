"""The retry log: every refresh, retry, recovery and give-up, newest first, bounded.

Drawn a line at a time (Textual's line API), not as a Static: each entry is made into lines
once for a width, when it comes, and kept. A new entry moves the others down, so all are
drawn again, but none is made again from its text (a Static makes its whole text again at
every line added: a stream's heartbeat adds two every 15 s)."""

from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from tui.core.events import SessionEvent
from tui.core.redact import redact
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

MAX_EVENTS = 200


def _style(event: SessionEvent) -> str:
    if event.action.startswith("gave up") or event.action == "failed":
        return "bold red"
    if event.failure:
        return "yellow"
    if event.action.startswith(("refreshed", "recovered")):
        return "green"
    return ""


class RetryLog(Widget):
    DEFAULT_CSS = sibling_css(__file__)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "Retry log"
        self.events: deque[tuple[str, SessionEvent]] = deque(maxlen=MAX_EVENTS)
        # Beside each entry, in step with `events`: its lines as drawn, by width (a long one
        # wraps onto the lines under it).
        self._drawn: deque[dict[int, list[Strip]]] = deque(maxlen=MAX_EVENTS)

    def add(self, event: SessionEvent) -> None:
        self.events.appendleft((time.strftime("%H:%M:%S"), event))
        self._drawn.appendleft({})
        self.refresh()  # its size is the layout's (height: 1fr): nothing is laid out again

    def notify_style_update(self) -> None:
        super().notify_style_update()
        for drawn in self._drawn:
            drawn.clear()  # a theme changed: the entries are drawn again in its colours

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        for (stamp, event), drawn in zip(self.events, self._drawn):
            lines = drawn.get(width)
            if lines is None:
                lines = drawn[width] = self._lines(stamp, event, width)
            if y < len(lines):
                return lines[y]
            y -= len(lines)
        return Strip.blank(width, base)

    def _lines(self, stamp: str, event: SessionEvent, width: int) -> list[Strip]:
        text = Text()
        text.append(stamp + " ", style="dim")
        # It names a track and quotes errors, which may carry a URL or a header.
        text.append_text(plain(redact(event.text), style=_style(event)))
        console, base = self.app.console, self.rich_style
        return [Strip(line, width).apply_style(base) for line in console.render_lines(
            text, console.options.update_width(max(1, width)), style=base, pad=True)]
