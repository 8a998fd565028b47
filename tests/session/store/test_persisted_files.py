"""Files keep their promises: modes are kept (secrets 0600), every saved file is read
through a schema (a bad entry skipped, a bad file set aside and said in the UI), temp
files of killed saves are cleaned up, and a binary file is not a playlist."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from tests.helpers import _STALL, Recorder, kill_while_flushing, until
from tui import cli
from tui.config import store
from tui.config.atomic import atomic_write, remove_abandoned_temps
from tui.config.defaults import default_text
from tui.core.events import Level
from tui.core.models import QueueItem
from tui.core.queue import Queue
from tui.session.store import History, PlaylistError, Playlists, QueueStore, TokenStore, read_m3u
from tui.session.store._read_back import KEEP_ASIDE

ROOT = Path(__file__).resolve().parents[3]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def ytplay(*args: str, env: dict[str, str] | None = None,
           stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          input=stdin, timeout=60, cwd=ROOT, env={**os.environ, **(env or {})})


# --- modes ------------------------------------------------------------------------------


def test_config_reset_and_edit_keep_a_0600_config_0600_and_its_backup(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ytdlp.extra]\npassword = "hunter2"\n')
    path.chmod(0o600)
    env = {"YTPLAY_CONFIG": str(path)}
    r = ytplay("config", "reset", "--yes", env=env)
    assert r.returncode == 0, r.stderr
    assert path.read_text() == default_text()
    assert (mode(path), mode(store.backup_path(path))) == (0o600, 0o600)

    editor = tmp_path / "editor.py"
    editor.write_text("import pathlib, sys\nf = pathlib.Path(sys.argv[1])\n"
                      "f.write_text(f.read_text().replace('attempts = 4', 'attempts = 5'))\n")
    r = ytplay("config", "edit", env={**env, "EDITOR": f"{sys.executable} {editor}"})
    assert r.returncode == 0, r.stderr
    assert "attempts = 5" in path.read_text()
    assert (mode(path), mode(store.backup_path(path))) == (0o600, 0o600)


def test_a_mode_the_user_chose_is_kept_and_the_backup_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    # Not the defaults: a file holding just them is not backed up (a reset twice keeps the
    # first .bak, tests/test_config.py)
    path.write_text(default_text().replace("attempts = 4", "attempts = 5"))
    path.chmod(0o640)
    store.backup_path(path).write_text("old")
    store.backup_path(path).chmod(0o644)                # a .bak left wider than the file
    store.replace(path, default_text().replace("attempts = 4", "attempts = 6"))
    assert (mode(path), mode(store.backup_path(path))) == (0o640, 0o640)


def test_new_files_holding_secrets_are_0600(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store.read_or_create(config)                        # first run writes the defaults
    assert mode(config) == 0o600
    tokens = tmp_path / "tokens.json"
    TokenStore(tokens).save("svc", "r1")
    assert mode(tokens) == 0o600
    tokens.chmod(0o644)                                 # widened by hand: narrowed again
    TokenStore(tokens).save("svc", "r2")
    assert mode(tokens) == 0o600 and TokenStore(tokens).load("svc") == "r2"


def test_other_saved_files_keep_their_mode(tmp_path: Path) -> None:
    queue = tmp_path / "queue.json"
    QueueStore(queue).save(Queue([QueueItem("a")]), 0)
    assert mode(queue) == 0o644
    queue.chmod(0o600)
    QueueStore(queue).save(Queue([QueueItem("b")]), 0)
    assert mode(queue) == 0o600
    playlists = Playlists(tmp_path / "lists")
    saved = playlists.save("mix", [QueueItem("a")])
    saved.chmod(0o640)
    playlists.save("mix", [QueueItem("b")])
    assert mode(saved) == 0o640


# --- the queue ----------------------------------------------------------------------------


def _queue_doc(items: list[Any], current: Any = 0, position: Any = 3.0) -> str:
    return json.dumps({"version": 1, "current": current, "position": position, "items": items})


def test_a_queue_entry_of_the_wrong_type_is_skipped_and_the_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    original = _queue_doc([{"ref": "a", "duration": "abc"}, {"ref": "b", "duration": 61.0},
                           {"ref": "c", "resume_at": "NaN"}], current=1, position=12.5)
    path.write_text(original)
    loaded = QueueStore(path)
    queue, position = loaded.load()
    assert [(i.ref, i.duration) for i in queue] == [("b", 61.0)]
    assert (queue.current_index, position) == (0, 12.5)  # still at b, at its place
    [notice] = loaded.notices
    assert "2 of 3 entries" in notice
    [kept] = tmp_path.glob("queue.json.unreadable-*")
    assert kept.read_text() == original and kept.name in notice
    loaded.save(queue, position)                          # the next save is clean, and loads
    assert [i.ref for i in QueueStore(path).load()[0]] == ["b"]


@pytest.mark.parametrize("content", [
    pytest.param(b"{not json", id="not JSON"), pytest.param(b"\xff\xfe\x00", id="not text"),
    pytest.param(b"[1, 2]", id="a list"), pytest.param(b'{"items": {"ref": "a"}}', id="no list"),
    pytest.param(b"[" * 100_000, id="nested too deep")])
def test_a_queue_file_that_is_not_a_queue_is_set_aside(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "queue.json"
    path.write_bytes(content)
    loaded = QueueStore(path)
    queue, position = loaded.load()
    assert (len(queue), position) == (0, 0.0)
    assert not path.exists()
    [kept] = tmp_path.glob("queue.json.unreadable-*")
    assert kept.read_bytes() == content
    assert len(loaded.notices) == 1 and "could not be read" in loaded.notices[0]



def test_only_the_newest_copies_set_aside_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    for n in range(KEEP_ASIDE + 3):  # broken again at every start, within the same second
        path.write_bytes(b"broken %d" % n)
        QueueStore(path).load()
    kept = sorted(tmp_path.glob("queue.json.unreadable-*"))
    assert len(kept) == KEEP_ASIDE
    assert {p.read_bytes() for p in kept} == {b"broken %d" % n for n in range(3, KEEP_ASIDE + 3)}


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)
_ref = st.text(min_size=1, max_size=20)
_good_entry = st.fixed_dictionaries(
    {"ref": _ref},
    optional={"title": st.none() | st.text(max_size=10), "artist": st.none() | st.text(),
              "duration": st.none() | st.floats(0, 1e6), "resume_at": st.floats(0, 1e6)})
_bad_entry = st.one_of(
    st.none(), st.integers(), st.text(), st.lists(_json, max_size=3),     # not an object
    st.dictionaries(st.text(max_size=8).filter(lambda k: k != "ref"), _json, max_size=3),
    st.fixed_dictionaries({"ref": st.none() | st.integers() | st.just("")}),
    st.fixed_dictionaries({"ref": _ref, "duration": st.text("abcdefghijklmnopqrstuvwxyz",
                                                            min_size=1)}),
    st.fixed_dictionaries({"ref": _ref, "resume_at": st.floats(max_value=-0.001)
                           | st.just(math.nan) | st.just(math.inf)}),
    st.fixed_dictionaries({"ref": _ref, "title": st.integers() | st.lists(st.text())}),
)


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(st.tuples(st.booleans(), _good_entry, _bad_entry), max_size=8),
       current=st.integers(-1, 8), position=st.floats(0, 1e5) | _json)
def test_queue_property_valid_entries_survive_and_bad_ones_go(
        entries: list[tuple[bool, dict[str, Any], Any]], current: int, position: Any) -> None:
    items = [good if keep else bad for keep, good, bad in entries]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "queue.json"
        path.write_text(_queue_doc(items, current, position))
        loaded = QueueStore(path)
        queue, pos = loaded.load()
        set_aside = list(Path(d).glob("queue.json.unreadable-*"))
    assert [i.ref for i in queue] == [good["ref"] for keep, good, _ in entries if keep]
    assert len(set_aside) == len(loaded.notices) == (0 if all(k for k, _, _ in entries) else 1)
    assert math.isfinite(pos) and pos >= 0
    if 0 <= current < len(entries) and entries[current][0]:
        assert queue.current is not None and queue.current.ref == items[current]["ref"]
    else:
        assert queue.current is None and pos == 0


@settings(max_examples=150, deadline=None)
@given(doc=_json, items=st.lists(_json, max_size=6))
def test_queue_property_arbitrary_json_never_raises(doc: Any, items: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        for content in (doc, {"current": doc, "position": doc, "items": items}):
            path = Path(d) / "queue.json"
            path.write_text(json.dumps(content))
            queue, pos = QueueStore(path).load()
            assert all(isinstance(i.ref, str) and i.ref for i in queue)
            assert math.isfinite(pos) and pos >= 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_queue_property_arbitrary_bytes_never_raise(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "queue.json"
        path.write_bytes(data)
        QueueStore(path).load()


# --- the history --------------------------------------------------------------------------


def test_a_stray_byte_in_the_history_costs_that_line_only(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    history.append(QueueItem("a", title="A"))
    with history.path.open("ab") as f:
        f.write(b"\xff\xfe not text\n")
        f.write(b'{"ref": "x", "at": "yesterday"}\n')     # a wrong type
        f.write(b'{"ref": "y", "at": 1, "duration": NaN}\n')
    history.append(QueueItem("b", title="B"))
    assert [p.ref for p in history.recent()] == ["b", "a"]


@settings(max_examples=200, deadline=None)
@given(junk=st.lists(st.binary(max_size=40).filter(lambda b: not b.lstrip().startswith(b"{")),
                     max_size=5),
       refs=st.lists(_ref, max_size=5))
def test_history_property_junk_lines_never_raise_and_good_lines_survive(
        junk: list[bytes], refs: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        history = History(Path(d) / "history.jsonl")
        for ref in refs:
            history.append(QueueItem(ref))
            with history.path.open("ab") as f:
                for line in junk:  # no line of junk is an object, so none is a record
                    f.write(line.replace(b"\n", b" ") + b"\n")
        assert [p.ref for p in history.recent()] == refs[::-1]


# --- tokens -------------------------------------------------------------------------------


def test_a_token_entry_of_the_wrong_shape_does_not_block_the_service(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"services": {"home": "not an object",
                                             "work": {"refresh_token": "r-work"}}}))
    tokens = TokenStore(path)
    notices = tokens.check()
    assert tokens.load("home") is None                   # logs in afresh
    assert tokens.load("work") == "r-work"               # the others keep theirs
    assert len(notices) == 1 and "1 of 2 entries" in notices[0]
    assert len(list(tmp_path.glob("tokens.json.unreadable-*"))) == 1
    tokens.save("home", "r-home")
    assert TokenStore(path).load("home") == "r-home"
    assert TokenStore(path).check() == []                # said once, not at every start


@pytest.mark.parametrize("content", [b"[1]", b'{"services": ["home"]}', b"\xff", b"{"])
def test_a_file_that_is_not_a_token_file_is_set_aside(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    path.chmod(0o600)
    tokens = TokenStore(path)
    assert tokens.load("home") is None
    [kept] = tmp_path.glob("tokens.json.unreadable-*")
    assert kept.read_bytes() == content and mode(kept) == 0o600
    tokens.save("home", "r1")
    assert TokenStore(path).load("home") == "r1"


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode())
       | st.dictionaries(st.text(max_size=5), _json, max_size=4).map(
           lambda s: json.dumps({"services": s}).encode()))
def test_token_property_nothing_raises_and_a_save_always_works(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tokens.json"
        path.write_bytes(content)
        tokens = TokenStore(path)
        tokens.check()
        tokens.load("home")
        tokens.save("home", "fresh")
        assert TokenStore(path).load("home") == "fresh"


# --- the UI hears what was set aside --------------------------------------------------------


async def test_what_was_set_aside_is_shown_in_the_app(tmp_path: Path) -> None:
    from tui.config.paths import queue_file, tokens_file
    from tui.factory import build
    from tui.runtime_config import load_config
    from tui.ui.widgets.event_log import EventLog

    queue_file().parent.mkdir(parents=True)
    queue_file().write_text(_queue_doc([{"ref": "https://example.invalid/a", "duration": "abc"},
                                        {"ref": "https://example.invalid/b"}]))
    tokens_file().write_text("[]")
    config = tmp_path / "config.toml"
    args = cli.parser().parse_args(["--ao", "null"])
    with ExitStack() as resources:
        app = build(args, load_config(config), config, resources)
        assert [i.ref for i in app.playback.queue] == ["https://example.invalid/b"]
        heard = Recorder(app.playback.bus)
        async with app.run_test(size=(120, 36)) as pilot:
            log = app.query_one(EventLog)
            await until(pilot, lambda: len(log.lines) >= 2)
            # Lines wrap in the panel: compare without the blanks.
            shown = re.sub(r"\s", "", "".join(line.text for line in log.lines))
            assert "thesavedqueue" in shown and "1of2entries" in shown
            assert "thetokenfile" in shown and "notatokenfile" in shown
            toasts = [n.message for n in app._notifications if n.severity == "warning"]
            assert any("saved queue" in m for m in toasts)
            assert any("token file" in m for m in toasts)
    assert {e.level for e in heard.logs if "could not be read" in e.text} == {Level.WARNING}


# --- temp files of killed saves -------------------------------------------------------------


def test_temp_files_of_killed_saves_are_removed_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "xdg_data_home" / "ytplay"
    path = data / "queue.json"
    QueueStore(path).save(Queue([QueueItem("a")]), 0)
    kill_while_flushing(path, f"""
        from tui.core.queue import Queue
        from tui.session.store import QueueStore
        QueueStore(pathlib.Path({str(path)!r})).save(Queue(), 0)
        """)
    config = tmp_path / "config.toml"
    kill_while_flushing(config, f"""
        from tui.config import store
        store.reset(pathlib.Path({str(config)!r}))
        """)
    assert len(list(data.glob(".queue.json.*.tmp"))) == 1
    assert len(list(tmp_path.glob(".config.toml.*.tmp"))) == 1
    # A start that fails later (a playlist that is not there) has cleaned up already.
    r = ytplay("--config", str(config), "--import", str(tmp_path / "nope.m3u"),
               env={"XDG_DATA_HOME": str(tmp_path / "xdg_data_home"),
                    "XDG_STATE_HOME": str(tmp_path / "xdg_state_home")})
    assert r.returncode == 2, r.stderr
    assert list(data.glob(".*.tmp")) == [] and list(tmp_path.glob(".*.tmp")) == []
    assert [i.ref for i in QueueStore(path).load()[0]] == ["a"]


def test_a_save_in_progress_is_not_mistaken_for_a_leftover(tmp_path: Path) -> None:
    path = tmp_path / "queue.json"
    code = _STALL % path.name + textwrap.dedent(f"""
        from tui.core.queue import Queue
        from tui.session.store import QueueStore
        QueueStore(pathlib.Path({str(path)!r})).save(Queue(), 0)
        """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "flushing"
        [tmp] = tmp_path.glob(".queue.json.*.tmp")
        assert remove_abandoned_temps(tmp_path) == [] and tmp.exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert remove_abandoned_temps(tmp_path) == [tmp] and not tmp.exists()


def test_only_the_configs_own_temps_are_touched_beside_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    theirs = tmp_path / ".notes.txt.abcdefgh.tmp"       # another program's, same pattern
    theirs.write_text("x")
    ours = tmp_path / ".config.toml.bak.abcdefgh.tmp"
    ours.write_text("x")
    assert store.clean_up(config) == [ours]
    assert theirs.exists()
    atomic_write(config, "x")                            # and a save still works afterwards
    assert config.read_text() == "x"


# --- playlists ----------------------------------------------------------------------------


def test_a_binary_file_is_not_a_playlist(tmp_path: Path) -> None:
    binary = tmp_path / "photo.m3u"
    binary.write_bytes(bytes(range(256)) * 800)
    with pytest.raises(PlaylistError, match="is not a playlist"):
        read_m3u(binary)
    r = ytplay("--import", str(binary), env={"YTPLAY_CONFIG": str(tmp_path / "c.toml")})
    assert r.returncode == 2 and "is not a playlist" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_saved_playlist_that_is_not_one_is_set_aside(tmp_path: Path) -> None:
    playlists = Playlists(tmp_path)
    (tmp_path / "mix.m3u8").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(PlaylistError, match="is not a playlist.*set aside"):
        playlists.load("mix")
    assert playlists.names() == [] and len(list(tmp_path.glob("mix.m3u8.unreadable-*"))) == 1


def test_text_playlists_still_read(tmp_path: Path) -> None:
    latin1 = tmp_path / "old.m3u"
    latin1.write_bytes("#EXTM3U\n#EXTINF:10,Caf\xe9\nsong.mp3\n".encode("latin-1"))
    utf16 = tmp_path / "win.m3u8"
    utf16.write_text("#EXTM3U\nhttps://example.invalid/a\n", encoding="utf-16")
    assert [e.ref for e in read_m3u(latin1)] == [str(tmp_path / "song.mp3")]
    assert [e.ref for e in read_m3u(utf16)] == ["https://example.invalid/a"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_m3u_property_any_bytes_are_entries_or_refused(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.m3u"
        path.write_bytes(data)
        try:
            entries = read_m3u(path)
        except PlaylistError as e:
            assert "not a playlist" in str(e)
            return
    assert all(e.ref and "\x00" not in e.ref and "\n" not in e.ref for e in entries)
