"""The control socket that `ytplay ctl` speaks to (docs/CONTROL.md): a background service of
the app as MPRIS is (made and started once the first frame is drawn, stopped with the app),
serving on the app's asyncio loop, where Playback runs: a request is carried out between two
of the loop's other jobs, as a key is.

One ytplay holds the socket at a time, by a lock on `ctl.lock` beside it (flock, let go by
the kernel however the holder ends). A second ytplay finds the lock taken, plays without a
socket and says so in its event log: `ytplay ctl` drives the first. A socket whose lock is
free was left by a ytplay that was killed, and is replaced.

Only the owner's processes are served: the folder is 0700 and the socket 0600, and on Linux
the connecting process's uid (SO_PEERCRED) must be ours too, so a socket whose modes were
loosened still answers no one else."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.events import BusEvent, Level, LogEvent, NowPlayingChanged, QueueChanged

from . import protocol, report
from .protocol import MAX_LINE, SOCKET, NotOurs, check_ours, decode, encode
from .requests import Refused, Remote

if TYPE_CHECKING:
    from tui.session.playback import Playback

log = logging.getLogger(__name__)

LOCK = "ctl.lock"
POSITION_EVERY = 1.0  # s: `watch` sends a position that alone changed at most this often


class Held(Exception):
    """Another ytplay holds the control socket."""


class ControlServer:
    def __init__(self, playback: Playback, place: Path | None = None) -> None:
        """`place`: the socket's folder (protocol.folder() as ytplay starts, by default)."""
        self._playback = playback
        self._remote = Remote(playback)
        self._place = place
        self.path: Path | None = None  # the socket, while it is served
        self._lock: int | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._stopped = False

    async def start(self) -> bool:
        folder = self._place or protocol.folder()
        try:
            self._lock = _hold(folder)
            listening = _listen(folder / SOCKET)
        except Held as e:
            holder = f" (pid {e})" if str(e) else ""
            return self._off(f"another ytplay{holder} holds the control socket: ytplay ctl "
                             f"drives that one, not this one")
        except (NotOurs, OSError) as e:
            self._close()
            return self._off(f"no control socket (ytplay ctl cannot reach this ytplay): {e}")
        self.path = folder / SOCKET
        self._server = await asyncio.start_unix_server(self._serve, sock=listening,
                                                       limit=MAX_LINE)
        if self._stopped:  # the app ended meanwhile
            self._close()
            return False
        log.info("control socket at %s", self.path)
        return True

    def _off(self, text: str) -> bool:
        log.warning("%s", text)
        self._playback.bus.publish(LogEvent(Level.WARNING, text))
        return False

    def stop(self) -> None:
        self._stopped = True
        self._close()

    def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._connections):
            task.cancel()
        if self.path is not None:  # before the lock goes: the next holder's socket stays
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            self.path = None
        if self._lock is not None:
            os.ftruncate(self._lock, 0)  # no pid of a ytplay that no longer holds it
            os.close(self._lock)
            self._lock = None

    # --- one connection ---------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            if (why := _stranger(writer)) is not None:
                writer.write(encode({"ok": False, "error": why}))
                await writer.drain()
                return
            while line := await reader.readline():
                answer = self._answer(line)
                writer.write(encode(answer))
                await writer.drain()
                if answer.get("watching"):
                    await self._watch(reader, writer)
                    return
        except (ConnectionError, ValueError):  # gone, or a line past MAX_LINE
            pass
        except Exception:  # a fault of ours: the connection ends, ytplay plays on
            log.exception("control socket: a request failed")
        finally:
            self._connections.discard(task)
            writer.close()

    def _answer(self, line: bytes) -> dict[str, object]:
        try:
            request = decode(line)
        except ValueError:
            return {"ok": False, "error": "a request is one line of JSON"}
        if isinstance(request, dict) and request.get("cmd") == "watch":
            return {"ok": True, "watching": True}
        try:
            return {"ok": True, **self._remote.carry_out(request)}
        except Refused as e:
            return {"ok": False, "error": str(e)}

    async def _watch(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Status lines until the other end closes (what it sends now is not read)."""
        follow = asyncio.create_task(self._follow(writer))
        try:
            while await reader.read(4096):
                pass
        finally:
            follow.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await follow

    async def _follow(self, writer: asyncio.StreamWriter) -> None:
        """The status now, then at every change of it: at once, except a position that
        alone changed, sent a second after the line before at the soonest (the newest then).
        A reader slower than the changes gets the newest, not each one (drain)."""
        changed = asyncio.Event()

        def hear(event: BusEvent) -> None:
            if isinstance(event, (NowPlayingChanged, QueueChanged)):
                changed.set()
        unsubscribe = self._playback.bus.subscribe(hear)
        loop = asyncio.get_running_loop()
        sent: dict[str, object] | None = None
        sent_at = 0.0
        try:
            while True:
                changed.clear()
                status = report.status(self._playback)
                wait = None
                if status != sent:
                    wait = (sent_at + POSITION_EVERY - loop.time()
                            if sent is not None and _only_position(sent, status) else 0.0)
                    if wait <= 0:
                        writer.write(encode(status))
                        await writer.drain()
                        sent, sent_at = status, loop.time()
                        continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), wait)
        finally:
            unsubscribe()


def _only_position(before: dict[str, object], after: dict[str, object]) -> bool:
    return [k for k in after if after[k] != before.get(k)] == ["position"]


def _stranger(writer: asyncio.StreamWriter) -> str | None:
    """Why the process at the other end may not drive this ytplay (it is another user's),
    or None. Linux says whose it is (SO_PEERCRED); where the system does not, the folder's
    0700 is the guard."""
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    pid, uid, _gid = struct.unpack(
        "3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    if uid == os.getuid():
        return None
    log.warning("control socket: refused a connection from uid %d (pid %d)", uid, pid)
    return f"refused: this ytplay is uid {os.getuid()}'s, and only its owner may drive it"


def _hold(folder: Path) -> int:
    """The lock of the control socket in `folder` (made 0700, refused when not ours alone),
    taken for as long as this ytplay runs: its file descriptor, with our pid in it. Held
    (with the holder's pid) when another ytplay has it."""
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    check_ours(folder)
    # Not inherited (O_CLOEXEC): a child outliving ytplay would keep the socket held.
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        raise Held(holder if holder.isdigit() else "") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _listen(path: Path) -> socket.socket:
    """A socket listening at `path`, owner-only, in place of one a killed ytplay left (the
    lock, free, says that no ytplay serves it)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
        log.info("control socket: replaced %s, left by a ytplay that ended", path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        os.chmod(path, 0o600)  # (no one else can reach it meanwhile: the folder is 0700)
        sock.listen()
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
