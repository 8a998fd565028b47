"""MPRIS 2.2 (org.mpris.MediaPlayer2 and .Player) on the session bus, with dbus-fast on the
asyncio loop. Commands from the desktop become the same session calls the keys make; state
changes go out as PropertiesChanged, seeks as Seeked."""

# No `from __future__ import annotations` here: dbus-fast reads D-Bus signatures from the
# annotations ("s", "x", "a{sv}"), and a method that returns nothing has no return annotation.
import logging
import os
import time
from typing import Any, Callable

from dbus_fast import BusType, PropertyAccess, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_property, method, signal

from tui.core.events import BusEvent, NowPlayingChanged, QueueChanged
from tui.core.nowplaying import PlayState
from tui.core.queue import Repeat
from tui.core.redact import redact
from tui.core.sanitize import printable
from tui.session.playback import Playback

log = logging.getLogger(__name__)

BUS_NAME = "org.mpris.MediaPlayer2.ytplay"
PATH = "/org/mpris/MediaPlayer2"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
_LOOP = {Repeat.OFF: "None", Repeat.ONE: "Track", Repeat.ALL: "Playlist"}
# HOLDING is Paused: stopped at its position with a reason, and play goes on from there,
# as from a pause; Stopped made status bars (playerctl) show position 0 while the screen
# said "⏸ holding" at 1:08. The rest: Stopped.
_STATUS = {PlayState.PLAYING: "Playing", PlayState.PAUSED: "Paused",
           PlayState.LOADING: "Playing", PlayState.RESOLVING: "Playing",
           PlayState.HOLDING: "Paused"}
US = 1_000_000  # MPRIS counts in microseconds
SEEK_JUMP = 1.5  # s off from where playing on would be: a seek


def track_id(uid: int | None) -> str:
    return NO_TRACK if uid is None else f"/org/ytplay/track/{uid}"


class Root(ServiceInterface):
    def __init__(self, quit_app: Callable[[], None]) -> None:
        super().__init__("org.mpris.MediaPlayer2")
        self._quit = quit_app

    @method()
    def Raise(self):  # noqa: N802 - D-Bus names
        pass  # a terminal program cannot raise its window

    @method()
    def Quit(self):  # noqa: N802
        self._quit()

    @dbus_property(access=PropertyAccess.READ)
    def CanQuit(self) -> "b":  # noqa: F821,N802
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanRaise(self) -> "b":  # noqa: F821,N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def HasTrackList(self) -> "b":  # noqa: F821,N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Identity(self) -> "s":  # noqa: F821,N802
        return "ytplay"

    @dbus_property(access=PropertyAccess.READ)
    def SupportedUriSchemes(self) -> "as":  # noqa: F821,F722,N802
        return ["http", "https", "file"]

    @dbus_property(access=PropertyAccess.READ)
    def SupportedMimeTypes(self) -> "as":  # noqa: F821,F722,N802
        return ["audio/mpeg", "audio/ogg", "audio/wav", "audio/flac", "video/mp4"]


class Player(ServiceInterface):
    def __init__(self, playback: Playback) -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")
        self.pb = playback
        self._sent: dict[str, Any] = {}
        # Where the position was and when, to tell a seek from playing on.
        self._last: tuple[int | None, float, float] | None = None

    # --- what the desktop reads -----------------------------------------------------------

    def _status(self) -> str:
        return _STATUS.get(self.pb.now.state, "Stopped")

    def _metadata(self) -> dict[str, Variant]:
        item = self.pb.queue.current
        meta: dict[str, Variant] = {"mpris:trackid": Variant("o", track_id(item and item.uid))}
        if item is None:
            return meta
        now = self.pb.now
        duration = now.duration if now.duration is not None else item.duration
        if duration is not None and duration > 0:
            meta["mpris:length"] = Variant("x", int(duration * US))
        # Cleaned: status bars and notification daemons put these on screen (some in a
        # terminal), and the desktop should not see what ytplay's own screen does not.
        title = printable(now.title or item.title or "")
        artist = printable(now.artist or item.artist or "")
        if title:
            meta["xesam:title"] = Variant("s", title)
        if artist:
            meta["xesam:artist"] = Variant("as", [artist])
        meta["xesam:url"] = Variant("s", printable(redact(item.ref)))
        return meta

    @dbus_property(access=PropertyAccess.READ)
    def PlaybackStatus(self) -> "s":  # noqa: F821,N802
        return self._status()

    @dbus_property()
    def LoopStatus(self) -> "s":  # noqa: F821,N802
        return _LOOP[self.pb.queue.repeat]

    @LoopStatus.setter
    def LoopStatus(self, value: "s"):  # noqa: F821,N802
        wanted = {v: k for k, v in _LOOP.items()}.get(value)
        while wanted is not None and self.pb.queue.repeat is not wanted:
            self.pb.edits.cycle_repeat()

    @dbus_property()
    def Rate(self) -> "d":  # noqa: F821,N802
        return 1.0

    @Rate.setter
    def Rate(self, value: "d"):  # noqa: F821,N802
        pass  # only normal speed; MinimumRate = MaximumRate = 1 says so

    @dbus_property(access=PropertyAccess.READ)
    def MinimumRate(self) -> "d":  # noqa: F821,N802
        return 1.0

    @dbus_property(access=PropertyAccess.READ)
    def MaximumRate(self) -> "d":  # noqa: F821,N802
        return 1.0

    @dbus_property()
    def Shuffle(self) -> "b":  # noqa: F821,N802
        return self.pb.queue.shuffled

    @Shuffle.setter
    def Shuffle(self, value: "b"):  # noqa: F821,N802
        if bool(value) != self.pb.queue.shuffled:
            self.pb.edits.toggle_shuffle()

    @dbus_property(access=PropertyAccess.READ)
    def Metadata(self) -> "a{sv}":  # noqa: F821,F722,N802
        return self._metadata()

    @dbus_property()
    def Volume(self) -> "d":  # noqa: F821,N802
        return round(self.pb.now.volume / 100.0, 4)

    @Volume.setter
    def Volume(self, value: "d"):  # noqa: F821,N802
        self.pb.change_volume(max(0.0, value) * 100.0 - self.pb.player.volume)

    @dbus_property(access=PropertyAccess.READ)
    def Position(self) -> "x":  # noqa: F821,N802
        return int((self.pb.now.position or 0.0) * US)

    @dbus_property(access=PropertyAccess.READ)
    def CanGoNext(self) -> "b":  # noqa: F821,N802
        return self.pb.queue.next_index() is not None

    @dbus_property(access=PropertyAccess.READ)
    def CanGoPrevious(self) -> "b":  # noqa: F821,N802
        return self.pb.queue.current is not None

    @dbus_property(access=PropertyAccess.READ)
    def CanPlay(self) -> "b":  # noqa: F821,N802
        return len(self.pb.queue) > 0

    @dbus_property(access=PropertyAccess.READ)
    def CanPause(self) -> "b":  # noqa: F821,N802
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanSeek(self) -> "b":  # noqa: F821,N802
        return self.pb.now.duration is not None

    @dbus_property(access=PropertyAccess.READ)
    def CanControl(self) -> "b":  # noqa: F821,N802
        return True

    # --- what the desktop asks ------------------------------------------------------------

    @method()
    def Next(self):  # noqa: N802
        self.pb.next()

    @method()
    def Previous(self):  # noqa: N802
        self.pb.previous()

    @method()
    def Pause(self):  # noqa: N802
        if self.pb.now.state is PlayState.PLAYING:
            self.pb.toggle_pause()

    @method()
    def PlayPause(self):  # noqa: N802
        self.pb.toggle_pause()

    @method()
    def Stop(self):  # noqa: N802
        self.pb.stop()

    @method()
    def Play(self):  # noqa: N802
        if self.pb.now.state is not PlayState.PLAYING:
            self.pb.toggle_pause()

    @method()
    def Seek(self, offset: "x"):  # noqa: F821,N802
        self.pb.seek(offset / US)  # Seeked goes out once the player has landed

    @method()
    def SetPosition(self, track: "o", position: "x"):  # noqa: F821,N802
        item = self.pb.queue.current
        if item is None or track != track_id(item.uid) or position < 0:
            return  # the spec: ignore a stale track id or a position out of range
        if self.pb.now.duration is not None and position > self.pb.now.duration * US:
            return
        self.pb.seek_to(position / US)

    @method()
    def OpenUri(self, uri: "s"):  # noqa: F821,N802
        self.pb.add([uri], play=True)

    @signal()
    def Seeked(self, position: "x") -> "x":  # noqa: F821,N802
        return position

    # --- telling the desktop --------------------------------------------------------------

    def changed(self) -> None:
        """Emit PropertiesChanged for whatever differs from what was last sent."""
        current = {"PlaybackStatus": self._status(), "LoopStatus": _LOOP[self.pb.queue.repeat],
                   "Shuffle": self.pb.queue.shuffled, "Metadata": self._metadata(),
                   "Volume": round(self.pb.now.volume / 100.0, 4),
                   "CanGoNext": self.pb.queue.next_index() is not None,
                   "CanGoPrevious": self.pb.queue.current is not None,
                   "CanSeek": self.pb.now.duration is not None}
        diff = {k: v for k, v in current.items() if self._sent.get(k) != v}
        if diff:
            self._sent.update(diff)
            self.emit_properties_changed(diff)
        self._detect_seek()

    def _detect_seek(self) -> None:
        """Position is not signalled as it runs (the spec); a jump in it is, as Seeked."""
        now, item = self.pb.now, self.pb.queue.current
        if now.position is None or item is None:
            return
        clock = time.monotonic()
        last, self._last = self._last, (item.uid, now.position, clock)
        if last is None or last[0] != item.uid:
            return
        elapsed = clock - last[2] if now.state is PlayState.PLAYING else 0.0
        if abs(now.position - (last[1] + elapsed)) > SEEK_JUMP:
            self.Seeked(int(now.position * US))


class Mpris:
    """Owns the bus connection; `start` says (once, in the log) when there is no bus."""

    def __init__(self, playback: Playback, quit_app: Callable[[], None]) -> None:
        self.player = Player(playback)
        self.root = Root(quit_app)
        self.bus: MessageBus | None = None
        self.name: str | None = None
        self._unsubscribe = playback.bus.subscribe(self._on_event)

    async def start(self) -> bool:
        try:
            bus = await MessageBus(bus_type=BusType.SESSION).connect()
        except Exception as e:  # no daemon behind the address, refused, …
            log.info("no D-Bus session bus (%s): media keys and playerctl are off", e)
            return False
        bus.export(PATH, self.root)
        bus.export(PATH, self.player)
        from dbus_fast.constants import NameFlag, RequestNameReply

        for name in (BUS_NAME, f"{BUS_NAME}.instance{os.getpid()}"):
            reply = await bus.request_name(name, NameFlag.DO_NOT_QUEUE)
            if reply in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
                self.name = name
                break
        self.bus = bus
        log.info("MPRIS: on the session bus as %s", self.name)
        return True

    def _on_event(self, event: BusEvent) -> None:
        if self.bus is not None and isinstance(event, (NowPlayingChanged, QueueChanged)):
            self.player.changed()

    def stop(self) -> None:
        """Off the bus: closing the connection releases the name (ytplay leaves playerctl's
        list). Once stopped it stays so; MPRIS turned on again is a new Mpris."""
        self._unsubscribe()
        if self.bus is not None:
            self.bus.disconnect()
            self.bus = None
            log.info("MPRIS: off the session bus (%s released)", self.name)
            self.name = None
