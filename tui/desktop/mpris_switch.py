"""MPRIS as `[ui] mpris` says, also when the file changes while ytplay runs. Turned on, a
new connection to the session bus takes ytplay's name; turned off, the connection is closed
and the name released, so status bars and playerctl see ytplay go. dbus-fast is loaded only
when MPRIS is first on (this module does not import it)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Callable

from . import session_bus

if TYPE_CHECKING:
    from tui.session.playback import Playback

    from .mpris import Mpris

log = logging.getLogger(__name__)


class MprisSwitch:
    """A background service of the app (started once the first frame is drawn, stopped
    with the app), turned on and off by the config (`turn`)."""

    def __init__(self, playback: Playback, quit_app: Callable[[], None], on: bool) -> None:
        self.on = on
        self.mpris: Mpris | None = None  # the one on the bus, or trying to be
        self._playback = playback
        self._quit = quit_app
        self._started = False
        # One change at a time: on, off and on again quickly end as the last one asked.
        self._lock = asyncio.Lock()
        self._turning: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str | None:
        """The bus name held, None when off (or when there is no bus)."""
        return None if self.mpris is None else self.mpris.name

    @property
    def bus(self) -> object | None:
        return None if self.mpris is None else self.mpris.bus

    async def start(self) -> bool:
        self._started = True
        await self._settle()
        return self.bus is not None

    def turn(self, on: bool) -> None:
        """On or off from now; a change asked before `start` waits for it."""
        self.on = on
        if self._started:
            task = asyncio.get_running_loop().create_task(self._settle())
            self._turning.add(task)  # held until done: the loop keeps only a weak one
            task.add_done_callback(self._turning.discard)

    async def _settle(self) -> None:
        async with self._lock:
            while self._started and self.on != (self.mpris is not None):
                if self.mpris is None:
                    if not session_bus.present():
                        log.info("no D-Bus session bus: media keys and playerctl are off")
                        return
                    from .mpris import Mpris

                    self.mpris = Mpris(self._playback, self._quit)
                    await self.mpris.start()  # without a bus, it says so in the log
                else:
                    mpris, self.mpris = self.mpris, None
                    mpris.stop()

    def stop(self) -> None:
        self._started = False
        for task in list(self._turning):
            task.cancel()
        if self.mpris is not None:
            self.mpris.stop()
            self.mpris = None
