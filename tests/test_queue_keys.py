"""Every queue key through Pilot, on the real app with the demo catalogue."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import pytest
from textual.widgets import Input

from tests.helpers import Recorder
from tests.test_config_app import until
from tui.core.models import QueueItem
from tui.core.nowplaying import PlayState
from tui.demo.catalog import TRACKS
from tui.demo.service import DemoService
from tui.session.playback import Playback
from tui.ui.app import YtplayApp
from tui.ui.screens.add import AddScreen
from tui.ui.widgets.filter_bar import FilterBar
from tui.ui.widgets.queue_view import QueueView


@asynccontextmanager
async def app_with_queue(demo: DemoService, player, session
                         ) -> AsyncIterator[tuple[YtplayApp, object, Playback, QueueView]]:
    pb = Playback(player, session)
    pb.queue.extend(QueueItem(ref=demo.watch_url(t.id), title=t.title, artist=t.artist,
                              duration=float(t.seconds)) for t in TRACKS)
    app = YtplayApp(pb)
    async with app.run_test(size=(120, 36)) as pilot:
        yield app, pilot, pb, app.query_one(QueueView)


def titles(pb: Playback) -> list[str]:
    return [i.title or i.ref for i in pb.queue]


async def test_cursor_keys_vim_and_arrows(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("j", "j", "down")
        assert view.cursor == 3
        await pilot.press("k", "up")
        assert view.cursor == 1
        await pilot.press("G")
        assert view.cursor == 5
        await pilot.press("g")
        assert view.cursor == 0


async def test_remove_and_undo(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("j", "d")
        assert titles(pb) == [t.title for t in TRACKS if t.id != "t2"]
        await pilot.press("u")
        assert titles(pb) == [t.title for t in TRACKS]
        await pilot.press("C")
        assert len(pb.queue) == 0
        await pilot.press("u")
        assert titles(pb) == [t.title for t in TRACKS]


async def test_move_up_down_and_to_top(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("j", "j", "K")                  # Night Bus up one
        assert titles(pb)[1] == "Night Bus" and view.cursor == 1
        await pilot.press("J", "J")                       # and down two
        assert titles(pb)[3] == "Night Bus" and view.cursor == 3
        await pilot.press("shift+up")
        assert titles(pb)[2] == "Night Bus"
        await pilot.press("G", "T")                       # the last to the top
        assert titles(pb)[0] == "Rust and Honey" and view.cursor == 0


async def test_shuffle_keeps_the_current_item_and_unshuffle_restores(demo, player,
                                                                     session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        tap = Recorder(pb.bus)
        await pilot.press("j", "j", "enter")
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        await pilot.press("s")
        assert pb.queue.shuffled and pb.queue[0].title == "Night Bus"
        assert pb.queue.current is pb.queue[0]
        assert "shuffle" in str(view.border_subtitle)
        await pilot.press("s")
        assert titles(pb) == [t.title for t in TRACKS] and pb.queue.current_index == 2


async def test_repeat_cycles(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("r")
        assert pb.queue.repeat.value == "one" and "repeat one" in str(view.border_subtitle)
        await pilot.press("r", "r")
        assert pb.queue.repeat.value == "off"


async def test_filter_as_you_type(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        tap = Recorder(pb.bus)
        await pilot.press("slash")
        assert isinstance(app.focused, FilterBar)
        await pilot.press(*"signal")
        assert [pb.queue[i].title for i in view.view] == ["Copper Lanterns", "Rust and Honey"]
        await pilot.press("left", "left")                 # the caret moves; nothing seeks
        await pilot.press("enter")                        # back to the list, filter kept
        assert isinstance(app.focused, QueueView) and len(view.view) == 2
        await pilot.press("j", "enter")                   # plays the second match
        await tap.wait_for(lambda: tap.now.index == 5 and tap.now.state is PlayState.PLAYING)
        await pilot.press("slash", "escape")              # escape clears the filter
        assert len(view.view) == 6 and view.selected_index == 5


def _typed_at_once(app: YtplayApp, text: str) -> None:
    """`text` as a terminal delivers keys typed faster than the app handles them: read in
    one chunk, parsed as Textual's driver parses it, every key queued before the first is
    handled."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    for event in [*parser.feed(text), *parser.feed("")]:
        app.post_message(event)


async def test_what_is_typed_right_after_slash_or_a_goes_into_the_field(
        demo, player, session) -> None:
    """/ and a open their field at once: the letters typed right after them, before the app
    has drawn anything, are text in it, not queue keys (d removes, s shuffles, l switches
    the log)."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        before = titles(pb)
        _typed_at_once(app, "/lds")
        await until(pilot, lambda: app.query_one(FilterBar).value == "lds", 10)
        assert isinstance(app.focused, FilterBar) and titles(pb) == before
        await pilot.press("escape")
        assert isinstance(app.focused, QueueView)
        _typed_at_once(app, "ademo:t2")
        await until(pilot, lambda: isinstance(app.screen, AddScreen)
                    and app.screen.query_one(Input).value == "demo:t2", 10)
        assert titles(pb) == before


async def test_keys_typed_at_once_act_in_the_order_typed(demo, player, session) -> None:
    """A key that opens a dialog and the text typed into it, in one chunk: f opens the
    search with abba in it (the a's are not the add key); d then a removes the selected
    item, then opens the add dialog."""
    from tui.ui.screens.search import SearchScreen

    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        _typed_at_once(app, "fabba")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen)
                    and app.screen.query_one(Input).value == "abba", 10)
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1, 10)
        before = titles(pb)
        _typed_at_once(app, "jda")
        await until(pilot, lambda: isinstance(app.screen, AddScreen), 10)
        assert titles(pb) == before[:1] + before[2:]


async def test_add_and_play_next(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("a")
        assert isinstance(app.screen, AddScreen)
        app.screen.query_one(Input).value = f"{demo.watch_url('t1')} {demo.watch_url('t2')}"
        await pilot.press("enter")
        assert len(pb.queue) == 8 and pb.queue[7].ref == demo.watch_url("t2")
        pb.queue.jump(0)
        await pilot.press("A")
        app.screen.query_one(Input).value = demo.watch_url("t6")
        await pilot.press("enter")
        assert pb.queue[1].ref == demo.watch_url("t6") and len(pb.queue) == 9


async def test_mouse_selects_and_double_click_plays(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        tap = Recorder(pb.bus)
        await pilot.click(QueueView, offset=(5, 4))      # row 3 inside the border
        assert view.cursor == 3
        await pilot.click(QueueView, offset=(5, 2), times=2)
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        assert tap.now.index == 1 and tap.now.title == TRACKS[1].title   # the clicked row
        assert view.cursor == 1


async def test_every_action_is_in_the_command_palette(demo, player, session) -> None:
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        names = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Play/Pause", "Next", "Shuffle", "Filter", "Remove", "History",
                "Save queue as playlist"} <= names
        [shuffle] = [c for c in app.get_system_commands(app.screen) if c.title == "Shuffle"]
        await shuffle.callback()
        await pilot.pause()
        assert pb.queue.shuffled


async def test_search_finds_service_media_and_adds_it(demo, player, session) -> None:
    from textual.widgets import DataTable

    from tui.ui.screens.search import SearchScreen

    async def password() -> str:
        return "demo"
    session.add_service("demo", demo.base_url, client_id="ytplay", username="demo",
                        password=password)
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("f")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"signal", "enter")
        screen = app.screen
        await until(pilot, lambda: len(screen.results) >= 2)  # libraries answer; YouTube may not
        assert {e.ref for e in screen.results} >= {"demo:t2", "demo:t6"}
        table = screen.query_one(DataTable)
        table.focus()
        row = [e.ref for e in screen.results].index("demo:t6")
        table.move_cursor(row=row)
        await pilot.press("enter")
        assert pb.queue[len(pb.queue) - 1].ref == "demo:t6"
        assert pb.queue[len(pb.queue) - 1].title == "Rust and Honey"
        await pilot.press("escape")
        assert not isinstance(app.screen, SearchScreen)


async def test_queue_keys_typed_at_once_act_on_what_the_screen_shows(
        demo, player, session) -> None:
    """Each of the queue keys typed in one chunk acts on the queue as the one before it
    left it on the screen: dd on the last item removes the last two, and with a filter K
    then d removes the item moved, not the one hidden that took its place."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("G")
        _typed_at_once(app, "dd")
        await until(pilot, lambda: len(pb.queue) < 6, 10)
        await pilot.pause()
        assert titles(pb) == [t.title for t in TRACKS[:4]]
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        await pilot.press("slash", *"signal", "enter")     # Copper Lanterns, Rust and Honey
        await pilot.press("j")
        assert pb.queue[view.selected_index].title == "Rust and Honey"
        _typed_at_once(app, "Kd")
        await until(pilot, lambda: len(pb.queue) < 6, 10)
        await pilot.pause()
        assert "Rust and Honey" not in titles(pb) and "Glass Orchard" in titles(pb)


async def test_each_u_puts_back_the_removal_before_it(demo, player, session) -> None:
    """g j d d u u: both items come back, each in its place; a third u says there is
    nothing left to undo."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        tap = Recorder(pb.bus)
        everything = titles(pb)
        await pilot.press("g", "j", "d", "d")
        assert titles(pb) == everything[:1] + everything[3:]
        assert tap.logs[-1].text == "removed Night Bus (u puts it back)"
        await pilot.press("u")
        assert titles(pb) == everything[:1] + everything[2:]
        assert tap.logs[-1].text == "put back Night Bus"
        await pilot.press("u")
        assert titles(pb) == everything and tap.logs[-1].text == "put back Copper Lanterns"
        await pilot.press("u")
        assert titles(pb) == everything and tap.logs[-1].text == "nothing to undo"


async def test_clear_then_u_plays_on_where_it_was(demo, player, session) -> None:
    """C then u: the whole queue back as one step, the item that was playing current again
    and playing on from where it was, not from 0:00."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        tap = Recorder(pb.bus)
        everything = titles(pb)
        await pilot.press("G", "enter")                   # Rust and Honey
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        pb.seek_to(60.0)
        await tap.wait_for(lambda: (tap.now.position or 0) >= 60)
        await pilot.press("C")
        assert len(pb.queue) == 0 and tap.now.state is PlayState.IDLE
        assert tap.logs[-1].text == "cleared the queue (u puts it back)"
        heard, logged = len(tap.history), len(tap.logs)
        await pilot.press("u")
        assert titles(pb) == everything and pb.queue.current_index == 5
        assert tap.logs[logged].text == "put back 6 items"
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        assert tap.now.index == 5 and tap.now.title == "Rust and Honey"
        assert all((now.position or 0) >= 60 for now in tap.history[heard:]), \
            [now.position for now in tap.history[heard:]]


async def test_clear_then_undo_of_a_paused_item_leaves_it_paused_where_it_was(
        demo, player, session) -> None:
    """C then u while paused: the item is current again, stopped where it was rather than
    playing, and space resumes there."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        tap = Recorder(pb.bus)
        await pilot.press("j", "enter")                   # Copper Lanterns
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        pb.seek_to(40.0)
        await tap.wait_for(lambda: (tap.now.position or 0) >= 40)
        pb.toggle_pause()
        await tap.wait_for(lambda: tap.now.state is PlayState.PAUSED)
        at = tap.now.position or 0
        await pilot.press("C", "u")
        assert pb.queue.current_index == 1 and tap.now.state is PlayState.IDLE
        assert tap.now.index == 1 and tap.now.position == pytest.approx(at)
        pb.toggle_pause()                                 # space resumes there
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        assert (tap.now.position or 0) >= at - 0.5


async def test_an_item_removed_while_shuffled_comes_back_to_its_place_in_both_orders(
        demo, player, session) -> None:
    """d then u while shuffled: back in its place in the shuffled order, and s puts it back
    in its place in the order from before (it went to the end)."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        everything = titles(pb)
        await pilot.press("s")
        shuffled = titles(pb)
        await pilot.press("g", "j", "j", "d")
        assert len(pb.queue) == 5
        await pilot.press("u")
        assert titles(pb) == shuffled
        await pilot.press("s")
        assert titles(pb) == everything


def shown(pb: Playback, view: QueueView) -> list[str]:
    return [pb.queue[i].title or "" for i in view.view]


async def test_clear_under_a_filter_clears_only_what_is_shown(demo, player, session) -> None:
    """C under a filter clears the items shown, as one step for u, and stops playback only
    when the item playing is among them."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        tap = Recorder(pb.bus)
        everything = titles(pb)
        await pilot.press("G", "enter")                   # Rust and Honey
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        await pilot.press("slash", *"kites", "enter", "C")
        assert titles(pb) == [t for t in everything if t != "Paper Kites"]
        assert tap.logs[-1].text == "cleared 1 shown item (u puts it back)"
        assert tap.now.state is PlayState.PLAYING and pb.queue.current_index == 4

        await pilot.press("slash", "escape", "slash", *"signal", "enter", "C")
        assert titles(pb) == ["Low Tide", "Night Bus", "Glass Orchard"]
        assert tap.logs[-1].text == "cleared 2 shown items (u puts them back)"
        assert pb.queue.current is None and tap.now.state is PlayState.IDLE
        logged = len(tap.logs)
        await pilot.press("u")
        assert titles(pb) == [t for t in everything if t != "Paper Kites"]
        assert tap.logs[logged].text == "put back 2 items" and pb.queue.current_index == 4
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        await pilot.press("u")                            # and the clear before it
        assert titles(pb) == everything and pb.queue.current_index == 5
        assert tap.now.state is PlayState.PLAYING and tap.now.index == 5


async def test_moves_under_a_filter_step_over_the_hidden_items(demo, player, session) -> None:
    """K and J swap the selected item with the shown one above or below; T puts it before
    the first shown. The hidden items between stay where they are: K then J changes
    nothing."""
    async with app_with_queue(demo, player, session) as (app, pilot, pb, view):
        everything = titles(pb)
        await pilot.press("slash", *"signal", "enter", "j")
        assert shown(pb, view) == ["Copper Lanterns", "Rust and Honey"]
        await pilot.press("K")
        assert shown(pb, view) == ["Rust and Honey", "Copper Lanterns"] and view.cursor == 0
        assert titles(pb) == ["Low Tide", "Rust and Honey", "Night Bus", "Paper Kites",
                              "Glass Orchard", "Copper Lanterns"]
        await pilot.press("J")
        assert titles(pb) == everything and view.cursor == 1
        await pilot.press("T")
        assert titles(pb) == ["Low Tide", "Rust and Honey", "Copper Lanterns", "Night Bus",
                              "Paper Kites", "Glass Orchard"] and view.cursor == 0
