"""A library run in a child process that is let go when idle, both sides of the pipe.

What a library costs in memory stays for good once it is imported (yt-dlp: ~30 MiB with
its extractors, issue 19): run in a child, it is given back when the child ends. The parent
(`WorkerProcess`) starts `python -m <module>` — the same interpreter, with the parent's
`sys.path`, so the child imports the same code and finds the same plugins — on the first
request, and ends it once nothing has been asked of it for `idle` seconds; the next
request starts another.

The protocol, one JSON object a line:

    parent → child   {"id": 7, "op": "resolve", ...}     a request; `op` picks the handler
                     {"cancel": 7}                        the answer is no longer wanted
    child → parent   {"id": 7, ...}                       the answer, as the handler made it
                     {"log": 20, "msg": "..."}            a line for the parent's log

The child ends at the end of its standard input: when the parent lets it go, and when the
parent dies, however it dies (the kernel closes the pipe), so it is never left behind.
What it writes to standard error (and to standard output, which is not the protocol's:
see `take_stdio`) goes to the parent's log, redacted, never to a terminal."""

from __future__ import annotations

import json
import logging
import os
import selectors
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, BinaryIO, Callable, Mapping, NoReturn, Sequence

from tui.core.redact import redact

Answer = dict[str, Any]
# A child that does not end within this long of being told to (its standard input closed)
# is killed: it ends at once when it is well, so one that does not is stuck.
KILL_AFTER = 2.0


def _line(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


class WorkerLost(Exception):
    """The child ended before it answered: it crashed or was killed, or the worker was
    closed. Nothing is wrong with the request itself: asking again starts another child."""


@dataclass(eq=False)
class _Child:
    proc: subprocess.Popen[bytes]
    pending: dict[int, Future[Answer]] = field(default_factory=dict)
    last_active: float = field(default_factory=time.monotonic)
    retired: bool = False  # told to end (or ended): nothing more is sent to it


class WorkerProcess:
    """The parent's side. `submit` may be called from any thread; each child has one
    thread of the parent reading what it says (answers, log lines, standard error) and
    watching how long it has been idle."""

    def __init__(self, module: str, args: Sequence[str] = (), *, name: str,
                 log: logging.Logger, idle: float) -> None:
        """`module`: what `python -m` runs in the child (it calls `serve`); `name`: the
        child in words, for the log and WorkerLost; `log`: where the child's words go;
        `idle`: seconds without a request in flight after which the child is let go."""
        # -P: not the folder ytplay was started in ahead of its path: a `tui` folder there
        # would be imported in its place.
        self._command = [sys.executable, "-P", "-m", module, *args]
        self._name = name
        self._log = log
        self._idle = idle
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._next_id = 0
        self._closed = False

    def submit(self, request: Mapping[str, Any]) -> Future[Answer]:
        """The child's answer to `request`, or WorkerLost. Cancelling the future tells the
        child that the answer is no longer wanted, and drops it when it comes."""
        future: Future[Answer] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(WorkerLost(f"{self._name} is closed"))
                return future
            child = self._child
            if child is None:
                try:
                    child = self._child = self._spawn()
                except OSError as e:
                    future.set_exception(WorkerLost(f"{self._name} could not start: {e}"))
                    return future
            self._next_id += 1
            key = self._next_id
            line = _line({**request, "id": key})  # a TypeError for the caller, nothing kept
            child.pending[key] = future
            child.last_active = time.monotonic()
            # A child that died meanwhile cannot take it; its reader fails what it was asked.
            self._send(child, line)
        future.add_done_callback(partial(self._cancelled, child, key))
        return future

    def close(self) -> None:
        """Let the child go now (what it was asked fails with WorkerLost); no new one
        starts. Waits for it to end, killing it if it does not at once."""
        with self._lock:
            self._closed = True
            child, self._child = self._child, None
            if child is None:
                return
            self._retire(child)
        try:
            child.proc.wait(timeout=KILL_AFTER)
        except subprocess.TimeoutExpired:
            child.proc.kill()

    def _spawn(self) -> _Child:
        # The parent's sys.path (where the tests put yt-dlp's plugins, say; "" is the
        # folder it runs in), so the child imports what the parent would. A session of its
        # own, so the terminal's signals (Ctrl-C, a hang-up) go to ytplay, which decides
        # when the child ends.
        path = os.pathsep.join(p or os.getcwd() for p in sys.path)
        env = {**os.environ, "PYTHONPATH": path}
        proc = subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True)
        child = _Child(proc)
        threading.Thread(target=self._read, args=(child,), name=f"{self._name}-{proc.pid}",
                         daemon=True).start()
        self._log.debug("%s started (pid %d)", self._name, proc.pid)
        return child

    def _send(self, child: _Child, line: bytes) -> None:
        """Under the lock, so that lines never interleave."""
        stdin = child.proc.stdin
        assert stdin is not None
        try:
            stdin.write(line)
            stdin.flush()
        except OSError:
            pass  # it ended: the reader sees its output end and fails what is pending

    def _retire(self, child: _Child) -> None:
        """Under the lock: no more requests to `child`; its input closed, so it ends."""
        child.retired = True
        if self._child is child:
            self._child = None
        try:
            assert child.proc.stdin is not None
            child.proc.stdin.close()
        except OSError:
            pass

    def _cancelled(self, child: _Child, key: int, future: Future[Answer]) -> None:
        if not future.cancelled():
            return
        with self._lock:
            if child.pending.pop(key, None) is None:
                return
            child.last_active = time.monotonic()
            if not child.retired:
                self._send(child, _line({"cancel": key}))

    def _wait(self, child: _Child) -> float | None:
        """How long the reader may wait for the child to say something before it looks
        whether the child has been idle long enough. With requests in flight it looks
        again after `idle` anyway: a cancellation may leave none."""
        with self._lock:
            if child.retired:
                return None
            if child.pending:
                return max(self._idle, 0.5)
            return max(0.0, child.last_active + self._idle - time.monotonic())

    def _retire_if_idle(self, child: _Child) -> None:
        with self._lock:
            if child.retired or child.pending \
                    or time.monotonic() - child.last_active < self._idle:
                return
            self._retire(child)
        self._log.debug("%s idle for %.0f s: let go", self._name, self._idle)

    def _read(self, child: _Child) -> None:
        """The child's reader thread: its answers and words until both its pipes end, then
        it is reaped and whatever it was still asked fails with WorkerLost."""
        proc = child.proc
        assert proc.stdout is not None and proc.stderr is not None
        handlers: dict[int, Callable[[bytes], None]] = {
            proc.stdout.fileno(): partial(self._said, child),
            proc.stderr.fileno(): self._wrote}
        partial_lines = dict.fromkeys(handlers, b"")
        with selectors.DefaultSelector() as selector:
            for fd in handlers:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                ready = selector.select(self._wait(child))
                if not ready:
                    self._retire_if_idle(child)
                for key, _ in ready:
                    data = os.read(key.fd, 65536)
                    if not data:
                        selector.unregister(key.fd)
                        data = b"\n"  # what is left of its last line
                    *lines, partial_lines[key.fd] = (partial_lines[key.fd] + data).split(b"\n")
                    for line in filter(None, lines):
                        handlers[key.fd](line)
        self._reap(child)

    def _reap(self, child: _Child) -> None:
        try:
            code = child.proc.wait(timeout=KILL_AFTER)
        except subprocess.TimeoutExpired:  # it closed its output and lives on: stuck
            child.proc.kill()
            code = child.proc.wait()
        for pipe in (child.proc.stdout, child.proc.stderr):
            if pipe is not None:
                pipe.close()
        with self._lock:
            if self._child is child:
                self._child = None
            child.retired = True
            lost = list(child.pending.values())
            child.pending.clear()
        if lost:
            self._log.warning("%s ended (exit status %s) with %d requests unanswered",
                              self._name, code, len(lost))
        else:
            self._log.debug("%s ended (exit status %s)", self._name, code)
        for future in lost:
            if future.set_running_or_notify_cancel():
                future.set_exception(WorkerLost(f"{self._name} ended (exit status {code}) "
                                                "before it answered"))

    def _said(self, child: _Child, line: bytes) -> None:
        try:
            message = json.loads(line)
            if "log" in message:
                self._log.log(int(message["log"]), "%s", message["msg"])
                return
            key = message.pop("id")
        except (ValueError, KeyError, TypeError, AttributeError):
            self._log.info("%s: %s", self._name, redact(line.decode(errors="replace")))
            return
        with self._lock:
            future = child.pending.pop(key, None)
            child.last_active = time.monotonic()
        # None: cancelled, the answer is dropped.
        if future is not None and future.set_running_or_notify_cancel():
            future.set_result(message)

    def _wrote(self, line: bytes) -> None:
        self._log.info("%s: %s", self._name, redact(line.decode(errors="replace")))


# --- the child's side ------------------------------------------------------------------------

class Channel:
    """The child's end of the pipes: requests in, answers and log lines out, one line each,
    whole even when several threads answer at once."""

    def __init__(self, requests: BinaryIO, answers: BinaryIO) -> None:
        self.requests = requests
        self._answers = answers
        self._lock = threading.Lock()

    def send(self, message: Mapping[str, Any]) -> None:
        # default=str: a value a library handed back that JSON has no type for (a site's
        # odd metadata) is sent as its text rather than losing the answer.
        data = json.dumps(message, default=str).encode() + b"\n"
        with self._lock:
            try:
                self._answers.write(data)
                self._answers.flush()
            except OSError:
                pass  # the parent is gone: the end of the requests ends this process

    def log(self, level: int, text: str) -> None:
        self.send({"log": level, "msg": redact(text)})


def take_stdio() -> Channel:
    """The protocol on private copies of standard input and output, and the standard ones
    pointed elsewhere: what a library prints goes to standard error (the parent's log), and
    nothing it might read takes a request."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    os.dup2(2, 1)
    sys.stdout = sys.stderr  # line-buffered: a line printed is logged before an os._exit
    return Channel(requests, answers)


def serve(channel: Channel, handlers: Mapping[str, Callable[[dict[str, Any]], Answer]],
          threads: int) -> NoReturn:
    """Answer requests on `threads` threads until the parent closes the pipe, then end at
    once (work under way included: nobody waits for it). A request cancelled before it
    started never starts; one cancelled while running finishes, and its answer is not sent."""
    pool = ThreadPoolExecutor(threads, thread_name_prefix="worker")
    running: dict[int, Future[Answer]] = {}
    lock = threading.Lock()

    def answer(key: int, future: Future[Answer]) -> None:
        with lock:
            if running.pop(key, None) is None or future.cancelled():
                return
        try:
            result = future.result()
        except Exception as e:  # a handler's bug: said, and the request still answered
            import traceback

            traceback.print_exc()
            result = {"error": {"message": f"{type(e).__name__}: {e}"}}
        channel.send({**result, "id": key})

    for line in channel.requests:
        try:
            request = json.loads(line)
            key = request["cancel"] if "cancel" in request else request["id"]
        except (ValueError, KeyError, TypeError) as e:
            print(f"a request not understood ({e!r}): {line[:200]!r}", file=sys.stderr)
            continue
        if "cancel" in request:
            with lock:
                cancelled = running.pop(key, None)
            if cancelled is not None:
                cancelled.cancel()
            continue
        handler = handlers.get(request.get("op"))
        if handler is None:
            channel.send({"id": key, "error": {"message": f"no such request: {request}"}})
            continue
        with lock:
            future = running[key] = pool.submit(handler, request)
        future.add_done_callback(partial(answer, key))
    sys.stderr.flush()
    os._exit(0)
