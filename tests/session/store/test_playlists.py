"""M3U import/export, named playlists, history, and the queue surviving restarts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path, PurePath

import pytest

from tests.helpers import Recorder, kill_while_flushing, until
from tui.core.m3u import Entry, format_m3u, parse_m3u
from tui.core.models import QueueItem
from tui.core.models import ItemStatus
from tui.core.nowplaying import PlayState
from tui.core.timefmt import clock
from tui.demo.service import DemoService
from tui.session.playback import Playback
from tui.session.store import History, PlaylistError, Playlists, QueueStore
from tui.ui.app import YtplayApp
from tui.ui.screens.history import HistoryScreen
from tui.ui.screens.prompt import PromptScreen


def test_m3u_round_trip_and_relative_paths() -> None:
    items = [QueueItem(ref="https://x/watch?v=1", title="Low Tide", artist="Demo Ensemble",
                       duration=184.0),
             QueueItem(ref="/music/a b.ogg", title="A B"), QueueItem(ref="demo:t3")]
    text = format_m3u(items)
    assert text.startswith("#EXTM3U\n#EXTINF:184,Demo Ensemble - Low Tide\n")
    assert parse_m3u(text) == [Entry("https://x/watch?v=1", "Low Tide", "Demo Ensemble", 184.0),
                               Entry("/music/a b.ogg", "A B"), Entry("demo:t3")]
    assert parse_m3u("song.mp3\n#comment\n\nhttp://h/x\ndemo:t3\n", PurePath("/lists")) == \
        [Entry("/lists/song.mp3"), Entry("http://h/x"), Entry("demo:t3")]


def test_named_playlists(tmp_path: Path) -> None:
    lists = Playlists(tmp_path / "playlists")
    lists.save("road trip", [QueueItem(ref="https://a/1", title="A"), QueueItem(ref="home:t2")])
    assert lists.names() == ["road trip"]
    assert [e.ref for e in lists.load("road trip")] == ["https://a/1", "home:t2"]
    with pytest.raises(PlaylistError, match="saved playlists: road trip"):
        lists.load("nope")
    with pytest.raises(PlaylistError, match="not a playlist name"):
        lists.save("../escape", [])


def test_history_newest_first_and_tolerant(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    for ref in ("a", "b", "c"):
        history.append(QueueItem(ref=ref, title=ref.upper()))
    with history.path.open("a") as f:
        f.write('{"ref": "half-writ')  # a crash mid-append
    assert [p.ref for p in history.recent()] == ["c", "b", "a"]


def test_import_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "tui", "--import", str(tmp_path / "nope.m3u")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "cannot read" in r.stderr and "Traceback" not in r.stderr


async def test_queue_item_and_position_survive_a_restart(tmp_path: Path, demo: DemoService,
                                                         player, session) -> None:
    store = QueueStore(tmp_path / "queue.json")
    pb = Playback(player, session, store=store)
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add([demo.watch_url("t1"), demo.watch_url("t2"), demo.watch_url("t3")])
    pb.play(0, start=182.0)                       # t1 (3:04) plays to its end: played
    await rec.wait_for(lambda: rec.now.index == 1 and rec.now.state is PlayState.PLAYING)
    pb.play(1, start=20.0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING and (rec.now.position or 0) > 21)
    left_at = rec.now.position
    pb.detach()                                   # what quitting does: saves at once
    player.stop()

    queue, position = QueueStore(tmp_path / "queue.json").load()
    again = Playback(player, session, queue, store=store, resume_position=position)
    rec2 = Recorder(again.bus)
    again.attach()
    assert [i.ref for i in again.queue] == [demo.watch_url(t) for t in ("t1", "t2", "t3")]
    assert again.queue.current_index == 1
    # Before anything plays, the screen says what space will resume, and where.
    now = again.now
    assert (now.state, now.index, now.title) == (PlayState.IDLE, 1, "Copper Lanterns")
    assert now.position == position and abs(position - left_at) < 1.0
    assert now.status == f"stopped — space resumes at {clock(position)}"
    assert [i.status for i in again.queue] == [ItemStatus.READY, ItemStatus.QUEUED,
                                               ItemStatus.QUEUED]   # t1 still ✓
    again.toggle_pause()                          # space on a fresh start resumes
    await rec2.wait_for(lambda: rec2.now.state is PlayState.PLAYING and rec2.now.position is not None)
    assert abs(rec2.now.position - left_at) < 1.0
    again.detach()


def test_a_save_killed_mid_write_leaves_the_previous_queue(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    old = QueueStore(path)
    from tui.core.queue import Queue
    q = Queue()
    q.add(["a", "b"])
    old.save(q, 1.0)
    before = path.read_bytes()
    kill_while_flushing(path, f"""
        from tui.core.queue import Queue
        from tui.session.store import QueueStore
        q = Queue(); q.add(["x"] * 10000)
        QueueStore(pathlib.Path({str(path)!r})).save(q, 0)
        """)
    assert path.read_bytes() == before
    assert [i.ref for i in QueueStore(path).load()[0]] == ["a", "b"]


async def test_save_open_and_history_from_the_ui(tmp_path: Path, demo: DemoService, player,
                                                 session) -> None:
    lists = Playlists(tmp_path / "playlists")
    history = History(tmp_path / "history.jsonl")
    pb = Playback(player, session, playlists=lists, history=history)
    pb.queue.add([demo.watch_url("t1"), demo.watch_url("t2")])
    app = YtplayApp(pb, play_index=0)
    async with app.run_test(size=(120, 36)) as pilot:
        tap = Recorder(pb.bus)
        await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)
        await pilot.press("w")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"mix", "enter")
        await app.workers.wait_for_complete()
        assert [e.ref for e in lists.load("mix")] == [demo.watch_url("t1"), demo.watch_url("t2")]
        export = tmp_path / "out.m3u8"
        await pilot.press("w")
        app.screen.query_one("Input").value = str(export)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert "#EXTINF:184,Demo Ensemble - Low Tide" in export.read_text()

        await pilot.press("o")
        await pilot.press(*"mix", "enter")
        assert len(pb.queue) == 4

        await tap.wait_for(lambda: history.path.exists() and history.recent())
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("enter")                 # play Low Tide again, right after the current
        await tap.wait_for(lambda: tap.now.index == 1 and tap.now.state is PlayState.PLAYING)
        assert pb.queue[1].ref == demo.watch_url("t1")

        # A name that is markup, quoted back by the error: shown as typed, in the dialog,
        # which stays with the text as typed.
        await pilot.press("o")
        app.screen.query_one("Input").value = "[/b]nope"
        await pilot.press("enter")
        dialog = app.screen
        await until(pilot, lambda: "[/b]nope" in str(dialog.query_one("#prompt-hint").render()))
        assert isinstance(dialog, PromptScreen) and app.is_running
        assert dialog.query_one("Input").value == "[/b]nope"
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1)


async def test_a_name_refused_keeps_the_dialog_and_the_text(
        tmp_path: Path, demo: DemoService, player, session) -> None:
    """w with a name that is no playlist name: the dialog stays with what was typed and
    says why; corrected in place, it saves."""
    lists = Playlists(tmp_path / "playlists")
    pb = Playback(player, session, playlists=lists)
    pb.queue.add([demo.watch_url("t1")])
    app = YtplayApp(pb)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("w", *"rock/roll", "enter")
        dialog = app.screen
        await until(pilot, lambda: "not a playlist name" in str(
            dialog.query_one("#prompt-hint").render()))
        assert isinstance(dialog, PromptScreen)
        assert dialog.query_one("Input").value == "rock/roll" and lists.names() == []
        await pilot.press("end", "backspace", "backspace", "backspace", "backspace", "backspace",
                          *"-n-roll", "enter")
        await until(pilot, lambda: len(app.screen_stack) == 1)
        assert lists.names() == ["rock-n-roll"]
