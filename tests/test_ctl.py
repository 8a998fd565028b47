"""`ytplay ctl` against the real ytplay in a pseudo-terminal (docs/CONTROL.md): each command
changes what the screen shows, `watch` prints lines as keys are pressed, `next` three times
from a script ends where three `n` keys do, the socket is refused to other users, a stale
one is replaced, and `--json` is what the documented schemas say. Local WAV files, no
network; every wait is on the screen, a file or a line, with a deadline."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest

from tests.media_files import tag_id3, wav
from tests.pty_terminal import Terminal

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot")
NOBODY = 65534


def _schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas docs/CONTROL.md shows, by title: what the tests hold answers to."""
    blocks = re.findall(r"```json\n(.*?)```", (ROOT / "docs" / "CONTROL.md").read_text(), re.S)
    return {s["title"]: s for s in map(json.loads, blocks) if "$schema" in s}


SCHEMAS = _schemas()


def valid(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    jsonschema.Draft202012Validator(SCHEMAS[kind]).validate(obj)
    return obj


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """Six minute-long tagged WAVs, named by their titles (artist: Tester)."""
    folder = tmp_path / "media"
    folder.mkdir()
    for name in NAMES:
        tag_id3(wav(folder / f"{name}.wav", 60), title=name, artist="Tester")
    return folder


def runtime() -> Path:
    return Path(os.environ["XDG_RUNTIME_DIR"])  # each test's own (tests/conftest.py)


def sock_path() -> Path:
    return runtime() / "ytplay" / "ctl.sock"


def ctl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", "ctl", *args], capture_output=True,
                          text=True, timeout=30, cwd=cwd)


def ok(*args: str, cwd: Path | None = None) -> str:
    r = ctl(*args, cwd=cwd)
    assert r.returncode == 0, (args, r.returncode, r.stderr)
    return r.stdout


def refused(*args: str, status: int = 1) -> str:
    """What `ytplay ctl ARGS` said on standard error, refused with `status`: one line."""
    r = ctl(*args)
    assert (r.returncode, r.stdout) == (status, ""), (args, r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("ytplay ctl: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


class Ytplay:
    """A real ytplay in a pseudo-terminal, playing `files`, with the test's folders."""

    def __init__(self, home: Path, files: list[Path]) -> None:
        """`home`: its folders (queue, log, config), apart from any other's: a queue saved
        by one would be restored by the next."""
        self.home = home
        folders = {f"XDG_{n}_HOME": str(home / n.lower()) for n in ("DATA", "STATE", "CONFIG",
                                                                     "CACHE")}
        self.term = Terminal([sys.executable, "-m", "tui", "--ao", "null", *map(str, files)],
                             {**os.environ, **folders, "TERM": "xterm-256color"})

    def __enter__(self) -> Ytplay:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.term.close()

    def now_playing(self) -> str:
        """The Now Playing panel's lines (the top five of the screen)."""
        return "\n".join(self.term.text().splitlines()[:5])

    def until(self, cond: Callable[[], bool], what: str, timeout: float = 15) -> None:
        """Reads what ytplay draws (so it never waits on a full terminal) until `cond`."""
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: never; the screen shows\n{self.term.text()}")
            ready, _, _ = select.select([self.term.master], [], [], 0.05)
            if ready:
                data = os.read(self.term.master, 65536)
                assert data, f"ytplay exited; the screen:\n{self.term.text()}"
                self.term.stream.feed(data)

    def shows(self, text: str, *, panel: bool = True) -> None:
        self.until(lambda: text in (self.now_playing() if panel else self.term.text()),
                   f"{text!r} on the screen")

    def serving(self) -> None:
        """Playing its first item, and the control socket there (after the first frame)."""
        self.shows("▶ playing")
        self.until(sock_path().exists, "the control socket")

    def quit(self) -> None:
        self.term.send(b"q")
        self.term.read_to_end(timeout=20)
        assert self.term.proc.wait(timeout=10) == 0

    def log(self) -> str:
        return (self.home / "state" / "ytplay" / "log" / "ytplay.log").read_text()


def position(screen: str) -> int | None:
    """The position the screen shows, in seconds (of a minute-long item)."""
    m = re.search(r"(\d+):(\d\d) / 1:00", screen)
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def queued(screen: str) -> list[str]:
    """The titles in the Queue panel, top to bottom."""
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("╭─ Queue"))
    rows = [line.split("│")[1] for line in lines[top + 1:] if line.startswith("│")]
    return [name for row in rows for name in NAMES if f" {name} " in row]


def files(media: Path, *names: str) -> list[Path]:
    return [media / f"{name}.wav" for name in names or NAMES[:4]]


def test_each_command_changes_what_the_screen_shows(tmp_path: Path, media: Path) -> None:
    with Ytplay(tmp_path, files(media)) as app:
        app.serving()
        app.shows("Alpha  —  Tester")
        for command, shown in (("pause", "⏸ paused"), ("play", "▶ playing"),
                               ("toggle", "⏸ paused"), ("volume 40", "vol 40%"),
                               ("volume +5", "vol 45%"), ("volume -15", "vol 30%")):
            assert ok(*command.split()) == ""
            app.shows(shown)
        # Paused, so the position stays where a seek puts it: shown in whole seconds, where
        # libmpv lands (on the sample at or just before the second asked: 0:19 for 20).
        for where, low, high in (("20", 19, 20), ("+5", 23, 25), ("-10", 12, 15)):
            assert ok("seek", where) == ""
            app.until(lambda: low <= (position(app.now_playing()) or -1) <= high,
                      f"seek {where}: the position from {low} to {high} s")
        for command, shown in (("toggle", "▶ playing"), ("next", "Bravo  —  Tester"),
                               ("prev", "Alpha  —  Tester"), ("stop", "■ stopped"),
                               ("play", "▶ playing")):
            assert ok(command) == ""
            app.shows(shown)
        # Named from the shell's folder (ytplay's is another): made a full path.
        assert ok("add", "Echo.wav", "--next", cwd=media) == ""
        app.shows("5 items", panel=False)
        assert ok("add", "./Foxtrot.wav", cwd=media) == ""
        order = ["Alpha", "Echo", "Bravo", "Charlie", "Delta", "Foxtrot"]
        app.until(lambda: queued(app.term.text()) == order, f"the queue {order}")

        line = ok("status")
        assert line.startswith("▶ playing  Alpha — Tester  0:") and \
            line.endswith("/ 1:00  [1/6]  vol 30%\n"), line
        status = valid("status", json.loads(ok("status", "--json")))
        assert {k: status[k] for k in ("state", "title", "artist", "index", "length", "volume",
                                       "duration", "live", "repeat", "shuffle", "note")} == {
            "state": "playing", "title": "Alpha", "artist": "Tester", "index": 0, "length": 6,
            "volume": 30, "duration": 60.0, "live": False, "repeat": "off", "shuffle": False,
            "note": ""}
        assert status["ref"] == str(media / "Alpha.wav")
        listed = valid("queue", json.loads(ok("queue", "--json")))
        assert [(i["title"], i["ref"]) for i in listed["items"]] == \
            [(n, str(media / f"{n}.wav")) for n in order]
        assert listed["current"] == 0 and listed["items"][0]["state"] == "playing"
        assert ok("queue").splitlines()[:2] == ["▶ 1  Alpha — Tester  1:00",
                                                "  2  Echo — Tester  1:00"]

        # Refused, with the reason, and nothing changed.
        assert "the volume goes from 0 to 130" in refused("volume", "300")
        assert "'nonsense' is not a URL" in refused("add", "nonsense", "Foxtrot.wav")
        wrong = ctl("seek", "soon")
        assert wrong.returncode == 2 and "usage: ytplay ctl seek" in wrong.stderr
        for _ in range(5):
            assert ok("next") == ""
        app.shows("Foxtrot  —  Tester")
        assert "nothing after this item" in refused("next")
        assert json.loads(ok("queue", "--json"))["length"] == 6
        app.shows("vol 30%")
        app.quit()
    assert not sock_path().exists()  # removed as ytplay ended
    assert "no ytplay is running" in refused("status", status=3)


def _settled(status: dict[str, Any]) -> dict[str, Any]:
    """What a status says that does not depend on when it was asked."""
    return {k: v for k, v in status.items() if k not in ("position", "note")}


def test_next_three_times_from_a_script_is_three_n_keys(tmp_path: Path, media: Path) -> None:
    ended: list[tuple[dict[str, Any], list[str]]] = []
    for by_keys in (True, False):
        with Ytplay(tmp_path / ("keys" if by_keys else "script"), files(media)) as app:
            app.serving()
            if by_keys:
                app.term.send(b"nnn")
            else:
                script = " && ".join([f"{sys.executable} -m tui ctl next"] * 3)
                assert subprocess.run(["sh", "-c", script], timeout=30).returncode == 0
            app.shows("Delta  —  Tester")
            app.shows("▶ playing")
            status = valid("status", json.loads(ok("status", "--json")))
            titles = [i["title"] for i in json.loads(ok("queue", "--json"))["items"]]
            ended.append((_settled(status), titles))
            app.quit()
    keys, script = ended
    assert keys == script and keys[0]["index"] == 3 and keys[0]["state"] == "playing"


class Watch:
    """`ytplay ctl watch`, its lines read as they come, each with when it came."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tui", "ctl", "watch"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[tuple[float, dict[str, Any]] | None] = queue.Queue()
        self.seen: list[tuple[float, dict[str, Any]]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), valid("status", json.loads(line))))
        self.lines.put(None)

    def take(self) -> bool:
        """Whatever came meanwhile, into `seen`; False once the watch ended."""
        while not self.lines.empty():
            got = self.lines.get()
            if got is None:
                return False
            self.seen.append(got)
        return True


def test_watch_prints_a_line_as_each_key_is_pressed(tmp_path: Path, media: Path) -> None:
    with Ytplay(tmp_path, files(media)) as app:
        app.serving()
        watch = Watch()

        def comes(what: str, cond: Callable[[dict[str, Any]], bool]) -> None:
            app.until(lambda: watch.take() and bool(watch.seen) and cond(watch.seen[-1][1]),
                      f"a watch line: {what}", timeout=10)
        comes("playing Alpha", lambda s: s["state"] == "playing" and s["title"] == "Alpha")
        app.term.send(b" ")
        comes("paused", lambda s: s["state"] == "paused")
        app.term.send(b"+")
        comes("volume 105", lambda s: s["volume"] == 105)
        app.term.send(b"n")
        comes("playing Bravo", lambda s: s["state"] == "playing" and s["title"] == "Bravo"
              and s["index"] == 1)
        # Paused, three seeks, each on the screen before the next: their positions come a
        # second apart at the soonest (not one line each), the last one's among them.
        app.term.send(b" ")
        comes("paused on Bravo", lambda s: s["state"] == "paused" and s["title"] == "Bravo")
        start = position(app.now_playing()) or 0
        for step in (1, 2, 3):
            app.term.send(b"\x1b[C")
            app.until(lambda: (position(app.now_playing()) or 0) >= start + 5 * step - 1,
                      f"seek {step} on the screen")
        comes("the third seek", lambda s: (s["position"] or 0) >= start + 14)
        moves = [at for (at, s), (_, before) in zip(watch.seen[1:], watch.seen)
                 if [k for k in s if s[k] != before[k]] == ["position"]]
        assert all(later - earlier > 0.9 for earlier, later in zip(moves, moves[1:])), moves
        app.quit()
    assert watch.proc.wait(timeout=10) == 3
    assert watch.proc.stderr is not None
    assert watch.proc.stderr.read() == b"ytplay ctl: ytplay ended\n"


def test_a_socket_open_to_others_is_refused(tmp_path: Path, media: Path) -> None:
    with Ytplay(tmp_path, files(media, "Alpha")) as app:
        app.serving()
        for path, loose in ((sock_path(), 0o666), (sock_path().parent, 0o755)):
            mode = stat.S_IMODE(path.lstat().st_mode)
            path.chmod(loose)
            assert f"refused: {path} is open to other users (mode {loose:o}" in refused("next")
            path.chmod(mode)
        app.shows("Alpha  —  Tester")  # next was never sent
        assert ok("status").startswith("▶ playing  Alpha")
        app.quit()


def test_a_folder_open_to_others_is_not_served(tmp_path: Path, media: Path) -> None:
    """ytplay will not put its socket where someone else could reach it."""
    sock_path().parent.mkdir(mode=0o755)
    sock_path().parent.chmod(0o755)
    with Ytplay(tmp_path, files(media, "Alpha")) as app:
        app.shows("▶ playing")
        app.shows("no control socket", panel=False)
        assert not sock_path().exists()
        assert "is open to other users" in refused("status")
        app.quit()


def _as_nobody(path: Path, request: bytes) -> bytes:
    """What the socket at `path` answers a process of another user (uid 65534)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: another user from here on, then only the socket
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with socket.socket(socket.AF_UNIX) as conn:
                conn.settimeout(10)
                conn.connect(str(path))
                with contextlib.suppress(BrokenPipeError):  # refused before it was read
                    conn.sendall(request)
                os.write(write, conn.makefile("rb").readline())
        except BaseException as e:  # noqa: BLE001 - said to the parent, whatever it is
            os.write(write, f"child: {e!r}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        said = answer.read()
    os.waitpid(pid, 0)
    return said


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming another user takes root")
def test_a_connection_from_another_user_is_refused(tmp_path: Path, media: Path) -> None:
    """The modes loosened so that another user reaches the socket: ytplay asks the kernel
    who connected (SO_PEERCRED) and refuses them; its owner is served as before."""
    with Ytplay(tmp_path, files(media, "Alpha", "Bravo")) as app:
        app.serving()
        modes = {p: stat.S_IMODE(p.lstat().st_mode)
                 for p in (runtime(), sock_path().parent, sock_path())}
        runtime().chmod(0o711)
        sock_path().parent.chmod(0o711)
        sock_path().chmod(0o666)
        said = _as_nobody(sock_path(), b'{"cmd":"next"}\n{"cmd":"status"}\n')
        assert json.loads(said) == {"ok": False,
                          "error": "refused: this ytplay is uid 0's, and only its owner may "
                                   "drive it"}, said
        for path, mode in modes.items():
            path.chmod(mode)
        os.chown(sock_path(), NOBODY, NOBODY)  # a socket of someone else's: not spoken to
        assert f"{sock_path()} belongs to uid {NOBODY}, not to you" in refused("next")
        os.chown(sock_path(), 0, 0)
        assert json.loads(ok("status", "--json"))["title"] == "Alpha"  # next never ran
        app.quit()
        assert f"refused a connection from uid {NOBODY}" in app.log()


def test_a_stale_socket_is_replaced_and_a_second_ytplay_says_who_holds_it(
        tmp_path: Path, media: Path) -> None:
    with Ytplay(tmp_path / "first", files(media, "Alpha")) as first:
        first.serving()
        with Ytplay(tmp_path / "second", files(media, "Echo")) as second:
            second.shows("Echo  —  Tester")
            second.shows(f"another ytplay (pid {first.term.proc.pid}) holds", panel=False)
            assert json.loads(ok("status", "--json"))["title"] == "Alpha"  # the first's
            second.quit()
        assert json.loads(ok("status", "--json"))["title"] == "Alpha"  # still served
        first.term.proc.send_signal(signal.SIGKILL)
        first.term.proc.wait(timeout=10)
    left = sock_path().lstat()  # left behind by the killed ytplay
    assert "the socket at" in refused("status", status=3) and "left by one that ended" \
        in refused("next", status=3)
    with Ytplay(tmp_path / "third", files(media, "Charlie")) as third:
        third.shows("▶ playing")
        third.until(lambda: sock_path().exists()
                    and sock_path().lstat().st_ctime_ns != left.st_ctime_ns,
                    "a new socket in place of the one left")
        assert json.loads(ok("status", "--json"))["title"] == "Charlie"
        third.quit()
        assert "replaced" in third.log()


def test_no_ytplay_running_is_status_3() -> None:
    for args in (("status",), ("next",), ("watch",)):
        assert refused(*args, status=3) == \
            f"ytplay ctl: no ytplay is running (no socket at {sock_path()})\n"


def test_ytplay_ctl_loads_nothing_heavy() -> None:
    """A status bar runs it every second: no Textual, no asyncio, no session, no HTTP."""
    heavy = ("textual", "rich", "asyncio", "httpx", "aiohttp", "msgspec", "platformdirs",
             "tui.session", "tui.control.server", "tui.config")
    code = ("import sys; from tui.__main__ import main; status = main(['ctl', 'status']); "
            f"print(status, ','.join(m for m in {heavy!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.stdout == "3 \n", r.stdout + r.stderr
