"""The Events panel as a person reads it: the newest line in view, bounded, and every line
wrapped again at a new width."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.core.events import Level, LogEvent
from tui.ui.widgets.event_log import MAX_LINES, EventLog


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield EventLog()


def _shown(log: EventLog) -> str:
    return "".join(strip.text for strip in log.lines)


async def test_the_newest_line_is_in_view_and_the_oldest_go() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(EventLog)
        for n in range(MAX_LINES + 40):
            log.add(LogEvent(Level.INFO, f"event number {n}"))
        await pilot.pause()
        ends = [strip.text.rstrip().rsplit(" ", 1)[-1] for strip in log.lines]
        assert ends[0] == "40" and "39" not in ends   # the first 40 went
        assert len(log.lines) == MAX_LINES
        assert log.scroll_offset.y == log.max_scroll_y > 0
        bottom = [log.render_line(y).text for y in range(log.scrollable_content_region.height)]
        assert f"event number {MAX_LINES + 39}" in bottom[-1]


async def test_a_new_width_wraps_every_line_again() -> None:
    app = LogApp()
    text = "a line long enough to wrap on a narrow screen, ending in THE-END"
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(EventLog)
        log.add(LogEvent(Level.WARNING, text))
        await pilot.pause()
        assert len(log.lines) == 1
        await pilot.resize_terminal(30, 12)
        await pilot.pause()
        width = log.scrollable_content_region.width
        assert len(log.lines) > 2 and all(strip.cell_length <= width for strip in log.lines)
        assert "THE-END" in _shown(log).replace(" ", "")
        await pilot.resize_terminal(100, 12)
        await pilot.pause()
        assert len(log.lines) == 1
