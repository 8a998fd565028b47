"""The event log and the retry log in one pane: side by side where there is room, one
tabbed pane on a small screen (the app's breakpoints put -narrow or -short on the screen).

Why Tabs and two classes, not a TabbedContent: TabbedContent hides its inactive pane with
an inline style, which no stylesheet rule can undo, so on a wide screen both logs could not
show without moving them to other containers. Here the logs never move; the stylesheet
shows one or both.

On the first frame, where the event log is empty anyway, an empty box stands in its place
(`EventLogToCome`), and the app hands the pane the log once start-up's second half has
imported it off the loop (`take_event_log`). What is logged meanwhile is kept for it. (The
log was a RichLog then, ~18 ms to load and draw; its own line-API widget loads in ~1 ms.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, Tab, Tabs

from tui.ui.css import sibling_css

from .retry_log import RetryLog

if TYPE_CHECKING:
    from tui.core.events import LogEvent

    from .event_log import EventLog

LOGS = ("events", "retries")
TITLES = {"events": "Events", "retries": "Retry log"}


class LogTabs(Tabs, can_focus=False):
    """Clicked, or switched by the app's key: focus stays on the queue, whose keys are the
    ones a person uses all day (and ←/→ seek, which a focused Tabs would take)."""


class EventLogToCome(Static):
    """Where the event log will be, as the first frame shows it: an empty box, titled."""

    def __init__(self) -> None:
        super().__init__(classes="events")
        self.border_title = TITLES["events"]


def load_event_log() -> type[EventLog]:
    """The event log's class (imported off the loop)."""
    from .event_log import EventLog

    return EventLog


class LogsPane(Vertical):
    DEFAULT_CSS = sibling_css(__file__)

    def __init__(self, event_log: type[EventLog] | None = None, **kwargs: object) -> None:
        """`event_log`: the event log's class where it is loaded already; else an empty box
        stands in for it until `take_event_log`."""
        # The classes `_sync` would set for both logs shown, given before the pane is
        # styled: set once mounted, each change would restyle the pane and all in it.
        super().__init__(classes="-on-events", **kwargs)  # type: ignore[arg-type]
        self.shown: tuple[str, ...] = LOGS
        self.active = "events"
        self._event_log_class = event_log
        self._event_log: EventLog | None = None
        self._logged: list[LogEvent] = []  # before the event log is there

    def compose(self) -> ComposeResult:
        yield LogTabs(*(Tab(TITLES[log], id=f"tab-{log}") for log in LOGS))
        if self._event_log_class is None:
            yield EventLogToCome()
        else:
            self._event_log = self._event_log_class(id="events", classes="events")
            yield self._event_log
        yield RetryLog(id="retries")

    def take_event_log(self, event_log: type[EventLog]) -> None:
        """The event log in place of the box that stood in for it, with what was logged."""
        if self._event_log is not None:
            return
        log = self._event_log = event_log(id="events", classes="events")
        for stand_in in self.query(EventLogToCome):
            stand_in.remove()
        self.mount(log, before=self.query_one(RetryLog))
        for event in self._logged:
            log.add(event)
        self._logged.clear()

    def add_event(self, event: LogEvent) -> None:
        if self._event_log is None:
            self._logged.append(event)
        else:
            self._event_log.add(event)

    def on_mount(self) -> None:
        self._sync()

    def show(self, logs: tuple[str, ...]) -> None:
        """Which logs are on (of LOGS, in that order); the pane hides with none."""
        self.shown = tuple(log for log in LOGS if log in logs)
        self.display = bool(self.shown)
        if self.shown and self.active not in self.shown:
            self.active = self.shown[0]
        self._sync()

    def switch(self) -> None:
        """The other log's tab (on a small screen, where one shows at a time)."""
        if len(self.shown) > 1:
            self.active = self.shown[(self.shown.index(self.active) + 1) % len(self.shown)]
            self._sync()

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        log = (event.tab.id or "").removeprefix("tab-")
        if log in self.shown and log != self.active:
            self.active = log
            self._sync()

    def _sync(self) -> None:
        """Classes the stylesheet reads: which logs are off, which tab is in front, and
        whether there is a choice to make at all."""
        for log in LOGS:
            self.set_class(log not in self.shown, f"-no-{log}")
            self.set_class(log == self.active, f"-on-{log}")
        self.set_class(len(self.shown) < 2, "-single")
        if not self.shown:
            return
        # The pane's own border shows only as a tabbed pane; with one log, no tabs say which.
        self.border_title = TITLES[self.shown[0]] if len(self.shown) == 1 else "Logs"
        tabs = self.query_one(LogTabs)
        if tabs.active != f"tab-{self.active}":
            tabs.active = f"tab-{self.active}"
