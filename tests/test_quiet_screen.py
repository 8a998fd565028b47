"""While a track plays, the screen changes once a second: the clock and the bar, and the
Session panel's countdowns. What changed is drawn again, in one frame; nothing else is made
again (issue 19: what playing costs). Counted, not timed: which lines are made again, and
when the panel's own second is due."""

from __future__ import annotations

import asyncio
import time

from tui.core.events import SessionEvent
from tui.core.leases import Lease, LeaseKind
from tui.core.nowplaying import NowPlaying, PlayState
from tui.session.playback import Playback
from tui.ui import messages
from tui.ui.app import YtplayApp
from tui.ui.widgets.now_playing import LINES, NowPlayingPanel, NowPlayingText
from tui.ui.widgets.retry_log import RetryLog
from tui.ui.widgets.session_panel import SessionPanel


def playing(position: float, **kw: object) -> NowPlaying:
    return NowPlaying(**{"state": PlayState.PLAYING, "index": 0, "title": "Copper Lanterns",
                         "artist": "The Signal Path", "position": position,
                         "duration": 152.0, **kw})  # type: ignore[arg-type]


async def test_a_clock_tick_makes_the_bar_line_again_and_no_other(player, session) -> None:
    app = YtplayApp(Playback(player, session))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(NowPlayingPanel)
        text = panel.query_one(NowPlayingText)
        panel.now = playing(10.2)
        await pilot.pause()
        before = [text.render_line(y) for y in range(LINES)]
        assert "0:10 / 2:32" in before[2].text

        panel.now = playing(11.1)  # the next second
        await pilot.pause()
        after = [text.render_line(y) for y in range(LINES)]
        assert "0:11 / 2:32" in after[2].text
        assert after[2] is not before[2]
        for y in (0, 1, 3):  # title, state, status: the same strips, not made again
            assert after[y] is before[y], y

        panel.now = playing(11.8)  # the same second: nothing to draw
        await pilot.pause()
        assert [text.render_line(y) for y in range(LINES)] == after
        assert all(a is b for a, b in zip((text.render_line(y) for y in range(LINES)), after))

        panel.now = playing(11.9, volume=80.0)  # the state line says the new volume
        await pilot.pause()
        again = [text.render_line(y) for y in range(LINES)]
        assert "vol 80%" in again[1].text and again[1] is not after[1]
        assert again[0] is after[0] and again[2] is after[2]


async def test_the_session_panel_counts_down_with_the_clock(player, session) -> None:
    pb = Playback(player, session)
    app = YtplayApp(pb)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.query_one(SessionPanel)
        await pilot.pause()  # start-up's own news first: a newer tick replaces a queued one
        pb.session.book.put("url:x", Lease(LeaseKind.STREAM_URL, "Copper Lanterns",
                                           time.time() + 40.5))
        app.post_message(messages.NowPlayingChanged(playing(3.2)))
        await pilot.pause()
        # Drawn on the clock's tick, not at the panel's own second (a second away at most).
        assert any(cells[0].startswith("stream") and cells[3] in ("40s", "39s")
                   for cells in map(panel.get_row_at, range(panel.row_count)))
        # Its own second is put off past the clock's next: one frame a second, not two.
        loop = asyncio.get_running_loop()
        assert panel._next is not None and panel._next.when() - loop.time() > 1.1

        # The clock standing still (paused): the panel keeps its own second.
        app.post_message(messages.NowPlayingChanged(playing(3.9, state=PlayState.PAUSED)))
        await pilot.pause()
        due = panel._next.when()
        assert due - loop.time() > 1.1  # the same second: no beat, the old one still due
        panel.beat()
        assert panel._next.when() - loop.time() <= 1.0


async def test_a_retry_log_line_lays_nothing_out_and_makes_only_itself(player, session) -> None:
    app = YtplayApp(Playback(player, session))
    async with app.run_test(size=(120, 36)) as pilot:
        log = app.query_one(RetryLog)
        await pilot.pause()
        region = log.region
        assert not log._layout_required
        log.add(SessionEvent("stream URL · Copper Lanterns", "refreshed"))
        assert not log._layout_required  # Textual's flag: the screen is laid out again
        await pilot.pause()
        assert log.region == region
        first = log.render_line(0)
        assert "stream URL · Copper Lanterns: refreshed" in first.text
        # The next entry moves it down a line: drawn there from what was made, not again.
        log.add(SessionEvent("stream URL · Copper Lanterns", "refreshing (heartbeat)"))
        assert "refreshing (heartbeat)" in log.render_line(0).text
        assert log.render_line(1) is first
