"""Local files are first-class: their tags and lengths are read (mutagen, no decoding) off
the UI loop, in batches, when they are added; they play with what their tags say; the queue
file keeps album and cover and still reads files saved without them."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.helpers import Recorder
from tests.media_files import flac, mp3, png, tag_id3, wav
from tui.adapters.tags import MutagenTagReader
from tui.core.models import QueueItem, Tags
from tui.core.nowplaying import PlayState
from tui.core.queue import Queue
from tui.session.playback import Playback
from tui.session.playback._queue_editor import TAG_BATCH
from tui.session.store import QueueStore

COVER = png(rgb=(10, 120, 200))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "music"
    d.mkdir()
    (d / "notes.txt").write_text("not audio")
    return {
        "tagged": tag_id3(wav(d / "tide pool.wav", 3.0), title="Tide Pool", artist="Test Band",
                          album="Shore", cover=COVER),
        "mp3": tag_id3(mp3(d / "song.mp3", 4.0), title="Mp3 Song", artist="Mp3 Artist"),
        "plain": wav(d / "untitled take.wav", 1.5),
        "text": d / "notes.txt",
    }


@pytest.fixture
async def tagged_session(tmp_path: Path):
    """A session whose resolver knows local files by their tags, as the factory builds it."""
    from tui.adapters.ytdlp_resolver import YtDlpResolver
    from tui.factory import make_session
    from tui.session.store import TokenStore

    resolver = YtDlpResolver(tags=MutagenTagReader())
    manager = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"))
    yield manager
    await manager.aclose()
    resolver.close()


def test_the_reader_reads_tags_lengths_and_pictures(files: dict[str, Path]) -> None:
    reader = MutagenTagReader()
    assert reader.read(str(files["tagged"])) == Tags("Tide Pool", "Test Band", "Shore", 3.0,
                                                     cover=True)
    assert reader.picture(str(files["tagged"])) == COVER
    song = reader.read(str(files["mp3"]))
    assert song is not None and (song.title, song.artist, song.cover) == \
        ("Mp3 Song", "Mp3 Artist", False)
    assert song.duration == pytest.approx(4.0, abs=0.1)
    assert reader.read(str(files["plain"])) == Tags(duration=1.5)
    assert reader.picture(str(files["plain"])) is None
    assert reader.read(str(files["text"])) is None                 # not media: nothing
    assert reader.read(str(files["text"].with_name("gone.mp3"))) is None


def test_a_file_named_for_its_kind_loads_that_kind_alone(files: dict[str, Path],
                                                        tmp_path: Path) -> None:
    """Tags read from a WAV load mutagen's WAV reader, not its 25 kinds (a playing process
    keeps what it imported); a file its name misleads about is read as what it is."""
    import subprocess
    import sys

    misnamed = tmp_path / "really-an-mp3.wav"
    misnamed.write_bytes(files["mp3"].read_bytes())
    code = ("import sys; from tui.adapters.tags import MutagenTagReader as R; "
            "t = R().read(sys.argv[1]); assert t is not None and t.duration == 1.5, t; "
            "print(sorted(m for m in sys.modules if m.startswith('mutagen.')))")
    loaded = subprocess.run([sys.executable, "-c", code, str(files["plain"])],
                            capture_output=True, text=True, check=True).stdout
    assert "'mutagen.wave'" in loaded
    assert "'mutagen.mp4'" not in loaded and "'mutagen.flac'" not in loaded
    song = MutagenTagReader().read(str(misnamed))
    assert song is not None and (song.title, song.artist) == ("Mp3 Song", "Mp3 Artist")


def test_a_flac_picture_block_is_a_cover(tmp_path: Path) -> None:
    from mutagen.flac import FLAC, Picture

    path = flac(tmp_path / "a.flac", 1.0)
    if path is None:
        pytest.skip("no ffmpeg to encode FLAC")
    audio = FLAC(path)
    audio["title"], audio["album"] = "Flac Title", "Flac Album"
    back, front = Picture(), Picture()
    back.type, back.mime, back.data = 4, "image/png", png(rgb=(0, 0, 0))
    front.type, front.mime, front.data = 3, "image/png", COVER
    audio.add_picture(back)
    audio.add_picture(front)
    audio.save()
    reader = MutagenTagReader()
    tags = reader.read(str(path))
    assert tags is not None and (tags.title, tags.album, tags.cover) == \
        ("Flac Title", "Flac Album", True)
    assert reader.picture(str(path)) == COVER                      # the front one


async def test_added_files_show_titles_lengths_and_covers_before_they_play(
        files: dict[str, Path], player, tagged_session) -> None:
    reader = MutagenTagReader()
    threads: set[str] = set()
    read = reader.read

    def spy(path: str) -> Tags | None:
        threads.add(threading.current_thread().name)
        return read(path)
    reader.read = spy  # type: ignore[method-assign]
    pb = Playback(player, tagged_session, tags=reader)
    rec = Recorder(pb.bus)
    pb.attach()
    refs = [str(files[k]) for k in ("tagged", "mp3", "plain")]
    pb.add(refs)
    q = pb.queue
    await rec.wait_for(lambda: all(i.duration is not None for i in q))
    assert threading.main_thread().name not in threads             # read off the loop
    assert [(i.title, i.artist, i.album) for i in q] == [
        ("Tide Pool", "Test Band", "Shore"), ("Mp3 Song", "Mp3 Artist", None),
        ("untitled take.wav", None, None)]                         # a name, not a path
    assert [round(i.duration or 0, 1) for i in q] == [3.0, 4.0, 1.5]
    assert [i.cover for i in q] == [refs[0], None, None]
    # Played, it keeps what its tags say (the resolver reads them too) and shows its cover.
    pb.play(0)
    await rec.wait_for(lambda: rec.now.state is PlayState.PLAYING)
    assert (rec.now.title, rec.now.artist, rec.now.cover) == ("Tide Pool", "Test Band", refs[0])
    assert (q[0].title, q[0].album, q[0].cover) == ("Tide Pool", "Shore", refs[0])
    pb.detach()


async def test_tags_are_read_in_batches_with_one_redraw_each(tmp_path: Path, player,
                                                              tagged_session) -> None:
    one = wav(tmp_path / "one.wav", 0.5)
    count = 2 * TAG_BATCH + 3
    refs = []
    for n in range(count):
        copy = tmp_path / f"track {n:03}.wav"
        copy.write_bytes(one.read_bytes())
        refs.append(str(copy))
    pb = Playback(player, tagged_session, tags=MutagenTagReader())
    rec = Recorder(pb.bus)
    pb.attach()
    pb.add(refs)
    await rec.wait_for(lambda: all(i.duration is not None for i in pb.queue))
    assert rec.queue_changes == 1 + 3   # the add itself, then one per batch
    assert pb.queue[count - 1].title == f"track {count - 1:03}.wav"
    pb.detach()


async def test_a_playlist_title_stays_and_a_removed_file_is_left_alone(
        files: dict[str, Path], player, tagged_session) -> None:
    pb = Playback(player, tagged_session, tags=MutagenTagReader())
    rec = Recorder(pb.bus)
    pb.attach()
    pb.edits.add_items([QueueItem(str(files["tagged"]), title="From The Playlist"),
                        QueueItem(str(files["mp3"]))])
    pb.edits.remove(1)  # before its tags are read
    await rec.wait_for(lambda: pb.queue[0].duration is not None)
    item = pb.queue[0]
    assert (item.title, item.artist, item.album) == ("From The Playlist", "Test Band", "Shore")
    assert len(pb.queue) == 1
    pb.detach()


def test_the_queue_file_keeps_album_and_cover_and_reads_older_files(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    store = QueueStore(path)
    store.save(Queue([QueueItem("/m/a.flac", "A", "X", 3.0, album="Al", cover="/m/a.flac"),
                      QueueItem("https://e.invalid/w", "W", cover="https://e.invalid/t.jpg"),
                      QueueItem("/m/b.wav")]), 0.0)
    queue, _ = store.load()
    assert [(i.album, i.cover) for i in queue] == [
        ("Al", "/m/a.flac"), (None, "https://e.invalid/t.jpg"), (None, None)]
    assert "cover" not in json.loads(path.read_text())["items"][2]  # nothing written for none
    # A queue written before covers were kept.
    path.write_text(json.dumps({"version": 1, "current": 0, "position": 1.0, "items": [
        {"ref": "/m/a.flac", "title": "A", "artist": None, "duration": 3.0, "resume_at": 0}]}))
    queue, position = QueueStore(path).load()
    assert [(i.title, i.album, i.cover) for i in queue] == [("A", None, None)]
    assert position == 1.0 and not store.notices
