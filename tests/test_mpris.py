"""MPRIS on a private D-Bus session bus, driven by the real playerctl and dbus-send."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator

import pytest

from tests.helpers import Recorder
from tests.helpers import config_watched, until
from tui import cli
from tui.core.nowplaying import PlayState
from tui.core.queue import Repeat
from tui.desktop.mpris import BUS_NAME
from tui.factory import build
from tui.runtime_config import load_config


@pytest.fixture
def session_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1",
         f"--address=unix:path={tmp_path / 'bus'}"], stdout=subprocess.PIPE, text=True)
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    daemon.terminate()
    daemon.wait()


async def run(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def playerctl(*args: str) -> str:
    return (await run("playerctl", "-p", "ytplay", *args)).strip()


async def ready(app, pilot, position: float = 0.0) -> None:
    """On the bus and playing (past `position` s)."""
    pb = app.playback
    await until(pilot, lambda: app.background[0].name is not None
                and pb.now.state is PlayState.PLAYING and (pb.now.position or 0) >= position, 20)


def _app(tmp_path: Path, resources: ExitStack):
    args = cli.parser().parse_args(["--demo", "--demo-port", "0", "--ao", "null"])
    path = tmp_path / "config.toml"
    return build(args, load_config(path), path, resources)


async def test_playerctl_drives_ytplay_and_sees_its_keys(session_bus: str, tmp_path: Path) -> None:
    with ExitStack() as resources:
        app = _app(tmp_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            pb = app.playback
            tap = Recorder(pb.bus)
            mpris = app.background[0]
            await ready(app, pilot)
            assert mpris.name == "org.mpris.MediaPlayer2.ytplay"

            await playerctl("play-pause")
            await tap.wait_for(lambda: tap.now.state is PlayState.PAUSED)
            assert await playerctl("status") == "Paused"
            await playerctl("play-pause")
            await tap.wait_for(lambda: tap.now.state is PlayState.PLAYING)

            await playerctl("position", "30")
            await tap.wait_for(lambda: abs((tap.now.position or 0) - 30) < 1.0)

            meta = await playerctl("metadata")
            assert "xesam:title" in meta and "Low Tide" in meta
            assert "mpris:length" in meta and "184000000" in meta
            assert "Demo Ensemble" in meta and "sig=" not in meta

            await playerctl("volume", "0.5")
            await until(pilot, lambda: pb.player.volume == 50)
            await playerctl("loop", "Track")
            await until(pilot, lambda: pb.queue.repeat is Repeat.ONE)
            await playerctl("shuffle", "On")
            await until(pilot, lambda: pb.queue.shuffled)
            await playerctl("shuffle", "Off")
            await until(pilot, lambda: not pb.queue.shuffled)
            await playerctl("loop", "None")

            await playerctl("next")
            await tap.wait_for(lambda: tap.now.index == 1 and tap.now.state is PlayState.PLAYING)
            await playerctl("previous")
            await tap.wait_for(lambda: tap.now.index == 0 and tap.now.state is PlayState.PLAYING)

            # ytplay's own keys show up on the bus.
            await pilot.press("space")
            await tap.wait_for(lambda: tap.now.state is PlayState.PAUSED)
            assert await playerctl("status") == "Paused"
            await pilot.press("n")
            await tap.wait_for(lambda: tap.now.index == 1 and tap.now.state is PlayState.PLAYING)
            assert await playerctl("metadata", "title") == "Copper Lanterns"


async def test_metadata_types_follow_the_spec(session_bus: str, tmp_path: Path) -> None:
    with ExitStack() as resources:
        app = _app(tmp_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(app, pilot)
            reply = await run("dbus-send", "--session", "--print-reply",
                              "--dest=org.mpris.MediaPlayer2.ytplay", "/org/mpris/MediaPlayer2",
                              "org.freedesktop.DBus.Properties.Get",
                              "string:org.mpris.MediaPlayer2.Player", "string:Metadata")
            assert 'object path "/org/ytplay/track/' in reply
            assert "int64 184000000" in reply
            position = await run("dbus-send", "--session", "--print-reply",
                                 "--dest=org.mpris.MediaPlayer2.ytplay",
                                 "/org/mpris/MediaPlayer2", "org.freedesktop.DBus.Properties.Get",
                                 "string:org.mpris.MediaPlayer2.Player", "string:Position")
            assert "int64" in position


@pytest.mark.timeout(90)
async def test_held_playback_is_paused_at_its_position(session_bus: str, demo_options,
                                                        tmp_path: Path) -> None:
    """Playback held at its position after a failure (the service stops answering, the
    stream URL runs out): MPRIS says Paused there, as the screen says "⏸ holding" there."""
    from tui.demo.service import DemoService

    demo_options.url_ttl = 6      # renewed within seconds: the outage below meets it
    with DemoService(demo_options) as demo, ExitStack() as resources:
        args = cli.parser().parse_args(["--demo", "--ao", "null"])
        path = tmp_path / "config.toml"
        app = build(args, load_config(path), path, resources, demo=demo)
        async with app.run_test(size=(120, 36)) as pilot:
            tap = Recorder(app.playback.bus)
            await ready(app, pilot, position=1.0)
            demo.options.fault_paths = ("/api/",)
            demo.options.fail_rate = 1.0
            await tap.wait_for(lambda: tap.now.state is PlayState.HOLDING, timeout=60)
            held = tap.now.position
            assert held is not None and held > 1.0
            assert await playerctl("status") == "Paused"
            assert abs(float(await playerctl("position")) - held) < 0.5


async def test_without_a_session_bus_ytplay_plays_and_says_so_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus-here'}")
    caplog.set_level(logging.INFO)
    with ExitStack() as resources:
        app = _app(tmp_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            pb = app.playback
            await until(pilot, lambda: pb.now.state is PlayState.PLAYING, 20)
            await until(pilot, lambda: any("media keys" in r.getMessage()
                                           for r in caplog.records))
            assert app.background[0].bus is None
    notes = [r.getMessage() for r in caplog.records if "media keys" in r.getMessage()]
    assert len(notes) == 1 and "off" in notes[0]


async def test_changes_are_signalled(session_bus: str, tmp_path: Path) -> None:
    with ExitStack() as resources:
        app = _app(tmp_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(app, pilot)
            # --follow prints the status once, then again on each PropertiesChanged.
            follow = await asyncio.create_subprocess_exec(
                "playerctl", "-p", "ytplay", "--follow", "status",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            assert follow.stdout is not None
            try:
                first = await asyncio.wait_for(follow.stdout.readline(), 10)
                assert first.decode().strip() == "Playing"
                await pilot.press("space")
                line = await asyncio.wait_for(follow.stdout.readline(), 10)
                assert line.decode().strip() == "Paused"
            finally:
                follow.kill()
                await follow.wait()


async def test_seeks_are_signalled_with_the_new_position(session_bus: str, tmp_path: Path) -> None:
    with ExitStack() as resources:
        app = _app(tmp_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            pb = app.playback
            await ready(app, pilot, position=1.0)
            monitor = await asyncio.create_subprocess_exec(
                "dbus-monitor", "--session",
                "type='signal',interface='org.mpris.MediaPlayer2.Player',member='Seeked'",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            assert monitor.stdout is not None
            try:
                # dbus-monitor first reports its own connection; wait until it listens.
                while b"NameAcquired" not in await asyncio.wait_for(monitor.stdout.readline(), 10):
                    pass
                before = pb.now.position or 0
                await pilot.press("right")                # ytplay's own key, not D-Bus
                seen = b""
                while b"int64" not in seen:
                    seen = await asyncio.wait_for(monitor.stdout.readline(), 10)
                position = int(seen.split(b"int64")[1]) / 1_000_000
                assert abs(position - (before + 5)) < 1.5
            finally:
                monitor.kill()
                await monitor.wait()


async def _owner_change(monitor: asyncio.subprocess.Process) -> str:
    """The new owner of the next NameOwnerChanged dbus-monitor reports ("" when let go)."""
    assert monitor.stdout is not None
    while b"member=NameOwnerChanged" not in await asyncio.wait_for(monitor.stdout.readline(), 10):
        pass
    strings = [(await asyncio.wait_for(monitor.stdout.readline(), 10)).decode().strip()
               for _ in range(3)]                          # name, old owner, new owner
    assert strings[0] == f'string "{BUS_NAME}"', strings
    return strings[2].removeprefix("string ").strip('"')


async def test_mpris_turned_off_and_on_in_the_file_while_ytplay_runs(session_bus: str,
                                                                      tmp_path: Path) -> None:
    """[ui] mpris = false written while ytplay runs: the bus name is released (playerctl no
    longer finds ytplay) and Events says the change applied; true again takes it back."""
    from tui.ui.widgets.event_log import EventLog

    path = tmp_path / "config.toml"
    with ExitStack() as resources:
        app = _app(tmp_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(app, pilot)
            await until(pilot, lambda: config_watched(app))
            monitor = await asyncio.create_subprocess_exec(
                "dbus-monitor", "--session",
                f"type='signal',member='NameOwnerChanged',arg0='{BUS_NAME}'",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            assert monitor.stdout is not None
            try:
                while b"NameAcquired" not in await asyncio.wait_for(monitor.stdout.readline(),
                                                                    10):
                    pass                                  # it listens
                text = path.read_text()
                path.write_text(text.replace("mpris = true", "mpris = false"))
                assert await _owner_change(monitor) == ""
                assert "boolean false" in await run(
                    "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                    f"string:{BUS_NAME}")
                assert app.background[0].name is None
                log = "".join(line.text for line in app.query_one(EventLog).lines)
                assert "config: applied: ui.mpris" in log, log

                path.write_text(text)
                assert await _owner_change(monitor) != ""
                await until(pilot, lambda: app.background[0].name == BUS_NAME)
                assert await playerctl("status") == "Playing"
            finally:
                monitor.kill()
                await monitor.wait()


NO_BUS = """
import asyncio, logging, sys
from types import SimpleNamespace
from tui.desktop.mpris_switch import MprisSwitch

logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
switch = MprisSwitch(SimpleNamespace(), lambda: None, on=True)
print("on the bus:", asyncio.run(switch.start()))
print("dbus_fast loaded:", "dbus_fast" in sys.modules)
"""


def test_without_a_session_bus_mpris_is_off_and_dbus_fast_never_loads(tmp_path) -> None:
    """Over ssh, in a container or a service: no bus address and no bus socket. MPRIS says
    it is off, once, and dbus-fast (kept for the whole run once loaded) is not loaded."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    if os.path.exists(f"/run/user/{os.getuid()}/bus"):
        import pytest
        pytest.skip("this machine's session has a bus socket")
    out = subprocess.run([sys.executable, "-c", NO_BUS], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert "no D-Bus session bus: media keys and playerctl are off" in out
    assert "on the bus: False" in out and "dbus_fast loaded: False" in out
