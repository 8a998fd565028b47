"""`ytplay serve` as a person runs it: a process of its own with a config naming the demo
service (started here, in the test's process, so its counters can be read), and `ytplay url`
and `ytplay export` as commands."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tui.demo.options import DemoOptions
from tui.demo.service import DemoService

PASSWORD_ENV = "YTPLAY_TEST_DEMO_PASSWORD"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(cond: Callable[[], object], what: str, timeout: float = 30.0,
               every: float = 0.1) -> object:
    """`cond()` once it is true, asked every `every` s; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := cond():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def ytplay(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


class Serve:
    """One `ytplay serve` process at a time, started and stopped as a service manager does."""

    def __init__(self, config: Path, port: int) -> None:
        self.config = config
        self.port = port
        self.process: subprocess.Popen[str] | None = None

    def start(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui", "serve", "--config", str(self.config), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        wait_until(lambda: listening(self.port) or self.process.poll() is not None,
                   "ytplay serve to listen")
        assert self.process.poll() is None, self.process.communicate()

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as `systemctl --user stop` sends: its exit status and what it said."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        _out, err = self.process.communicate(timeout=15)
        status, self.process = self.process.returncode, None
        return status, err

    def url(self, *refs: str, seekable: bool = False) -> list[str]:
        r = ytplay(self.config, "url", *refs, *(["--seekable"] if seekable else []))
        assert r.returncode == 0, r.stderr
        return r.stdout.split()


def write_config(path: Path, demo: DemoService, port: int, *, extra: str = "") -> Path:
    path.write_text(f"""
[[services]]
name = "demo"
base_url = "{demo.base_url}"
client_id = "{demo.options.client_id}"
username = "{demo.options.username}"
password_env = "{PASSWORD_ENV}"

[serve]
listen = "127.0.0.1:{port}"
{extra}
""")
    return path


@pytest.fixture
def serve_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[Callable[..., Serve]]:
    """`serve_of(demo, extra=...)`: a `ytplay serve` for `demo`, not started yet; stopped
    at the end of the test if it still runs."""
    monkeypatch.setenv(PASSWORD_ENV, "demo")
    made: list[Serve] = []

    def make(demo: DemoService, *, extra: str = "") -> Serve:
        port = free_port()
        serve = Serve(write_config(tmp_path / "config.toml", demo, port, extra=extra), port)
        made.append(serve)
        return serve
    yield make
    for serve in made:
        if serve.process is not None:
            serve.process.kill()
            serve.process.communicate()


@pytest.fixture
def quick_demo(media_dir: Path) -> Iterator[DemoService]:
    """The demo with tokens and URLs that expire within seconds, and its media sent at
    60 kB/s (its WAVs play at 44 kB/s): a player is never far ahead of what plays."""
    options = DemoOptions(media_dir=media_dir, seed=1, token_ttl=6, url_ttl=8,
                          heartbeat_interval=4, media_rate=60_000)
    with DemoService(options) as service:
        yield service
