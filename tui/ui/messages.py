"""Messages from the session to the widgets, posted to the app (tui/ui/session_view.py says
what each draws). High-rate ones merge (`can_replace`)."""

from __future__ import annotations

from textual.message import Message

from tui.core.events import LogEvent, SessionEvent
from tui.core.nowplaying import NowPlaying


class SessionNews(Message):
    """Something the session reported, to be drawn where it shows."""


class NowPlayingChanged(SessionNews):
    def __init__(self, now: NowPlaying) -> None:
        super().__init__()
        self.now = now

    def can_replace(self, message: Message) -> bool:
        # Position ticks arrive several times a second: only the newest needs drawing.
        return isinstance(message, NowPlayingChanged)


class QueueChanged(SessionNews):
    def can_replace(self, message: Message) -> bool:
        return isinstance(message, QueueChanged)


class Logged(SessionNews):
    def __init__(self, event: LogEvent) -> None:
        super().__init__()
        self.event = event


class SessionEventPosted(SessionNews):
    def __init__(self, event: SessionEvent) -> None:
        super().__init__()
        self.event = event
