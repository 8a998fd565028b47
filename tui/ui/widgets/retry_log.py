"""The retry log: every refresh, retry, recovery and give-up, newest first, bounded."""

from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.widgets import Static

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


class RetryLog(Static):
    DEFAULT_CSS = sibling_css(__file__)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "Retry log"
        self.events: deque[tuple[str, SessionEvent]] = deque(maxlen=MAX_EVENTS)

    def add(self, event: SessionEvent) -> None:
        self.events.appendleft((time.strftime("%H:%M:%S"), event))
        text = Text()
        for stamp, ev in list(self.events)[: max(1, self.size.height or 20)]:
            text.append(stamp + " ", style="dim")
            # It names a track and quotes errors, which may carry a URL or a header.
            text.append_text(plain(redact(ev.text), style=_style(ev)))
            text.append("\n")
        # Its size is the layout's (height: 1fr), not its text's: the screen around it is
        # not laid out again for a line.
        self.update(text, layout=False)
