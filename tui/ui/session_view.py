"""What the session reports, shown on the screen the app composed: its events, heard on the
bus (on the app's loop) and posted to the app as messages (tui/ui/messages.py; position
ticks merge), each drawn on the widgets that show it; the leases the Session panel lists;
the cover Now Playing draws; and notes and notifications, whose text may come from outside
(never read as markup)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Literal, TypeVar

from textual.widget import Widget

from tui.core.events import (BusEvent, Level, LogEvent, NowPlayingChanged, QueueChanged,
                             SessionEvent)
from tui.core.sanitize import printable

from . import messages
from .widgets.logs_pane import LogsPane
from .widgets.now_playing import NowPlayingPanel
from .widgets.queue_view import QueueView
from .widgets.retry_log import RetryLog
from .widgets.session_panel import SessionPanel

if TYPE_CHECKING:
    from textual.app import App

    from tui.core.leases import Lease
    from tui.session.playback import Playback

    from .widgets.cover import CoverFetch

Severity = Literal["information", "warning", "error"]
W = TypeVar("W", bound=Widget)


class SessionView:
    """The session's state on `app`'s widgets. `playback` and `covers` are there once the
    session is (start-up's second half): the first frame shows no lease and no cover."""

    def __init__(self, app: App[None]) -> None:
        self.app = app
        self.playback: Playback | None = None
        self.covers: CoverFetch | None = None
        self._second: int | None = None  # the clock's, as last shown
        self._found: dict[type[Widget], list[Widget]] = {}

    def adopt(self, playback: Playback, covers: CoverFetch | None) -> None:
        self.playback, self.covers = playback, covers

    def follow(self) -> Callable[[], None]:
        """Hear the session's events from now on; returns the call that stops it."""
        assert self.playback is not None
        return self.playback.bus.subscribe(self._heard)

    def _heard(self, event: BusEvent) -> None:
        if isinstance(event, NowPlayingChanged):
            self.app.post_message(messages.NowPlayingChanged(event.now))
        elif isinstance(event, QueueChanged):
            self.app.post_message(messages.QueueChanged())
        elif isinstance(event, LogEvent):
            self.app.post_message(messages.Logged(event))
        elif isinstance(event, SessionEvent):
            self.app.post_message(messages.SessionEventPosted(event))

    def show(self, message: messages.SessionNews) -> None:
        """Draw what the session said. It posts from its own callbacks: one message may
        still be queued while the app shuts down and its widgets are gone, so each is drawn
        on what is there."""
        match message:
            case messages.NowPlayingChanged():
                for panel in self._each(NowPlayingPanel):
                    panel.now = message.now
                second = None if message.now.position is None else int(message.now.position)
                if second != self._second:
                    self._second = second
                    for leases in self._each(SessionPanel):
                        leases.beat(by_clock=True)  # its countdowns move on in the clock's frame
            case messages.QueueChanged():
                for view in self._each(QueueView):
                    view.refresh_view()
            case messages.Logged():
                for logs in self._each(LogsPane):
                    logs.add_event(message.event)
            case messages.SessionEventPosted():
                for log in self._each(RetryLog):
                    log.add(message.event)

    def _each(self, kind: type[W]) -> list[W]:
        """The widgets of `kind` on the screen, looked for again only once one of them has
        left it: a query walks the whole screen, and the clock's tick draws on two kinds."""
        found = self._found.get(kind)
        if not found or not all(widget.is_attached for widget in found):
            found = self._found[kind] = list(self.app.query(kind))
        return found  # type: ignore[return-value]  # found by `kind`

    def leases(self) -> Iterable[Lease]:
        """The Session panel's rows."""
        return () if self.playback is None else self.playback.session.book.values()

    async def cover(self, source: str) -> Path | None:
        """The image file of cover `source`, for Now Playing; None before the session is
        there, and where there is none."""
        return None if self.covers is None else await self.covers(source)

    def note(self, level: Level, text: str) -> None:
        """A line in the event log."""
        for logs in self._each(LogsPane):
            logs.add_event(LogEvent(level, text))

    def toast(self, text: str, severity: Severity = "information",
              timeout: float | None = None) -> None:
        """A notification with text that may come from outside (paths, playlist names,
        errors quoting them): shown as it is, never read as markup."""
        self.app.notify(printable(text), severity=severity, markup=False,
                        **({} if timeout is None else {"timeout": timeout}))
