"""A restart (and `--playlist`) shows where it resumes: the current item's row marked and
in view, however far down a long queue it is (issue 11, "Restart shows what it will
resume"). Through the real app, built by the composition root over a queue file written
as ytplay writes it."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from tests.helpers import until
from tui import cli
from tui.config.paths import playlists_dir, queue_file
from tui.core.models import QueueItem
from tui.core.nowplaying import PlayState
from tui.core.queue import Queue
from tui.demo.service import DemoService
from tui.factory import build
from tui.runtime_config import load_config
from tui.session.store import Playlists, QueueStore
from tui.ui.app import YtplayApp
from tui.ui.widgets.queue_view import QueueView


def saved_queue(items: list[QueueItem], current: int, position: float) -> None:
    """The queue file a quitting ytplay leaves, in this test's data folder."""
    QueueStore(queue_file()).save(Queue(items, current), position)


def shown_rows(view: QueueView) -> range:
    """The view rows inside the queue's viewport."""
    top = view.scroll_offset.y
    return range(top, top + view.scrollable_content_region.height)


def assert_current_in_view(app: YtplayApp, index: int) -> None:
    view = app.query_one(QueueView)
    row = view.view.index(index)
    assert row in shown_rows(view), (row, shown_rows(view))
    assert view.cursor == row  # enter plays it, j/k go on from there
    line = view.render_line(row - view.scroll_offset.y).text
    assert line.startswith(("▷ ", "▶ ", "… ")), line  # marked as the current item
    others = [view.render_line(y).text for y in range(len(shown_rows(view)))
              if view.scroll_offset.y + y != row]
    assert not any(text.startswith(("▷", "▶")) for text in others), others


async def test_a_restart_shows_item_60_of_100_at_80x24(tmp_path: Path,
                                                     demo: DemoService) -> None:
    """The items are the demo's pages, which resolve at once: what is resolved ahead of
    item 60 leaves the status line as it is."""
    refs = [demo.watch_url(t) for t in ("t4", "t5", "t6")]
    items = [QueueItem(ref=refs[i % 3], title=f"Track {i:03d}", artist="Someone",
                       duration=200.0) for i in range(100)]
    saved_queue(items, current=60, position=75.0)
    path = tmp_path / "config.toml"
    args = cli.parser().parse_args(["--ao", "null"])
    with ExitStack() as resources:
        app = build(args, load_config(path), path, resources)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            now = app.playback.now
            assert (now.state, now.index, now.title) == (PlayState.IDLE, 60, "Track 060")
            assert now.status == "stopped — space resumes at 1:15"
            assert_current_in_view(app, 60)
            view = app.query_one(QueueView)
            assert view.scroll_offset.y > 0  # scrolled: row 60 is far below the first screen
            await pilot.press("k")  # the person moves the cursor: it stays theirs
            assert view.cursor == 59 and not view.follow_current


async def test_playlist_plays_its_first_item_in_view(tmp_path: Path, demo: DemoService) -> None:
    """`ytplay --playlist road-trip` appends the playlist to a restored queue of 60 and
    plays its first item, queue row 60: that row is marked and in view once it starts."""
    refs = [demo.watch_url(t) for t in ("t4", "t5", "t6")]
    items = [QueueItem(ref=refs[i % 3], title=f"Earlier {i:02d}", duration=150.0)
             for i in range(60)]
    saved_queue(items, current=10, position=5.0)
    playlist = Queue()
    playlist.add(refs * 13)
    Playlists(playlists_dir()).save("road-trip", playlist.items)
    path = tmp_path / "config.toml"
    args = cli.parser().parse_args(["--playlist", "road-trip", "--ao", "null"])
    with ExitStack() as resources:
        app = build(args, load_config(path), path, resources)
        async with app.run_test(size=(80, 24)) as pilot:
            assert len(app.playback.queue) == 99
            await until(pilot, lambda: app.playback.now.index == 60
                        and app.playback.now.state is PlayState.PLAYING, 60)
            await pilot.pause()
            assert_current_in_view(app, 60)


def started(tmp_path: Path) -> tuple[ExitStack, YtplayApp]:
    """ytplay as a plain `ytplay` starts: over the saved queue, if any."""
    path = tmp_path / "config.toml"
    resources = ExitStack()
    app = build(cli.parser().parse_args(["--ao", "null"]), load_config(path), path, resources)
    return resources, app


async def test_shuffle_and_repeat_come_back_and_s_still_restores_the_order(
        tmp_path: Path, demo: DemoService) -> None:
    """Shuffled with repeat on, then quit: the next start shows the same shuffled order,
    shuffle and repeat on, and s puts back the order from before the shuffle, with the
    item to resume still current."""
    items = [QueueItem(ref=demo.watch_url("t4"), title=f"Track {i:02d}", duration=200.0)
             for i in range(12)]
    saved_queue(items, current=3, position=20.0)
    resources, app = started(tmp_path)
    with resources:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("s", "r")       # kept until the session is there, if need be
            await until(pilot, lambda: app.playback is not None
                        and app.playback.queue.repeat.value == "one")
            shuffled = [i.title for i in app.playback.queue]
            assert shuffled != [i.title for i in items]
    resources, app = started(tmp_path)
    with resources:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.playback is not None)
            queue = app.playback.queue
            assert [i.title for i in queue] == shuffled
            assert queue.shuffled and queue.repeat.value == "one"
            assert "shuffle · repeat one" in str(app.query_one(QueueView).border_subtitle)
            await pilot.press("s")
            assert [i.title for i in queue] == [i.title for i in items]
            assert queue.current_index == 3 and app.playback.now.index == 3
