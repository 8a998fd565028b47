"""Messages from the session to the widgets. High-rate ones merge (`can_replace`)."""

from __future__ import annotations

from textual.message import Message

from tui.core.events import LogEvent, SessionEvent
from tui.core.nowplaying import NowPlaying


class NowPlayingChanged(Message):
    def __init__(self, now: NowPlaying) -> None:
        super().__init__()
        self.now = now

    def can_replace(self, message: Message) -> bool:
        # Position ticks arrive several times a second: only the newest needs drawing.
        return isinstance(message, NowPlayingChanged)


class QueueChanged(Message):
    def can_replace(self, message: Message) -> bool:
        return isinstance(message, QueueChanged)


class Logged(Message):
    def __init__(self, event: LogEvent) -> None:
        super().__init__()
        self.event = event


class SessionEventPosted(Message):
    def __init__(self, event: SessionEvent) -> None:
        super().__init__()
        self.event = event
