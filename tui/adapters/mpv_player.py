"""The Player port on libmpv (python-mpv).

libmpv calls back on its own event thread. Callbacks here only copy plain values into core
events and hand them to the listener, which must be thread-safe (the session passes one
that schedules onto the asyncio loop). Nothing here blocks or touches the UI.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any, Callable, Mapping

import mpv

from tui.core.player_events import (AudioFallback, EndReason, Ended, PauseChanged, PlayerEvent,
                                     Progress, Restarted, Started)
from tui.core.redact import redact

log = logging.getLogger(__name__)

_REASONS = {"eof": EndReason.EOF, "stop": EndReason.STOP, "quit": EndReason.QUIT,
            "error": EndReason.ERROR, "redirect": EndReason.REDIRECT}
_LOG_LEVELS = {"fatal": logging.ERROR, "error": logging.WARNING, "warn": logging.INFO}

# What libmpv does for a video player and a music player does without: its built-in Lua
# scripts (each a thread and a Lua state: the stats overlay, the console, auto profiles; no
# OSD to draw them on), scripts from the user's mpv folder, and a forward cache of 150 MiB
# that holds a whole track in memory. The media cache and the loopback proxy are what keep
# a stream playing here; libmpv's cache need only bridge reads. Not bounded in seconds
# (`cache-secs`): libmpv before 0.36 then reads a chunk at a time as the track plays, and
# each chunk wakes the proxy (issue 19: 108 wake-ups a second on the playing bench, not 88).
# Not libmpv's `cache-on-disk` either: its file is append-only and the byte caps then
# bound only packet metadata, so a long or endless stream would grow it without end.
LEAN = {"load_scripts": False, "osc": False, "load_stats_overlay": False,
        "load_osd_console": False, "load_auto_profiles": "no",
        "demuxer_max_bytes": "24MiB", "demuxer_max_back_bytes": "8MiB"}
# Newer libmpv's (0.36 on): its other built-in scripts, and hysteresis: once the cache is
# full, it reads again when a minute is left, in bursts, not a chunk at a time as the track
# plays. An older libmpv refuses these names.
LEAN_NEWER = {"load_select": False, "load_positioning": False, "load_commands": False,
              "load_context_menu": False, "demuxer_hysteresis_secs": 60}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _log_mpv(level: str, prefix: str, text: str) -> None:
    log.log(_LOG_LEVELS.get(level, logging.DEBUG), "mpv/%s: %s", prefix, redact(text.strip()))


SEEK_MARGIN = 0.005  # s: see MpvPlayer.seek
_POSITION = 0x7974706F73  # the reply id of the position's observation ("ytpos")


def _observe_whole_seconds(player: mpv.MPV, name: str, reply_id: int) -> None:
    """Observe a number in whole seconds. libmpv sends a change of an observed property
    only when its value, in the format asked, differs from the one it sent last: asked as
    an integer (truncated, as the screen shows it), the position comes once a second rather
    than with every chunk of audio (10 to 40 times a second), each a call into Python on
    libmpv's event thread. python-mpv observes in its node format only, so the observation
    is made here, on the handle its event thread reads (`_event_handle`), and the change is
    read in `_on_event` by its reply id (python-mpv's own dispatch by name finds no handler
    for it)."""
    mpv._mpv_observe_property(player._event_handle, reply_id, name.encode(),
                              mpv.MpvFormat.INT64)


def _whole_seconds(event: Any) -> float | None:
    """The value of a PROPERTY_CHANGE observed by `_observe_whole_seconds`. libmpv hands a
    pointer to it, which python-mpv's structure holds as its union's int64 field."""
    change = event.data
    if change.format.value != mpv.MpvFormat.INT64:
        return None  # MPV_FORMAT_NONE: there is none now (nothing loaded)
    pointer = ctypes.c_void_p(change.data.int64)
    return float(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_int64)).contents.value)


M_ARENA_MAX = -8  # glibc's mallopt parameter


def _libc() -> Any:
    return ctypes.CDLL(None)  # the process's own symbols: the C library's among them


def _few_malloc_arenas() -> None:
    """glibc gives a thread that allocates while another holds the heap an arena of its
    own, up to eight a core, each keeping what it once held: libmpv's core, demuxer,
    decoder and audio threads beside ytplay's. Two hold all an audio player allocates
    (2.4 MiB less resident on the playing bench). Arenas made before the call stay; libmpv's
    threads start after it. Where the C library has no mallopt, nothing changes."""
    try:
        _libc().mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass


def give_back_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim): what start-up,
    resolving and opening a file allocated and freed stays resident otherwise (2.6 MiB on
    the playing bench's stream). Called on libmpv's event thread as a file loads: a few
    milliseconds, never on the UI loop."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _lean_mpv(options: dict[str, Any]) -> mpv.MPV:
    """A libmpv handle with `options`, without what ytplay never uses (LEAN): the names of
    newer libmpv's scripts are tried first, and left out for one that does not know them
    (python-mpv raises as the option is set, before the handle is initialised)."""
    for lean in ({**LEAN, **LEAN_NEWER}, LEAN):
        try:
            return mpv.MPV(log_handler=_log_mpv, loglevel="warn", **{**lean, **options})
        except (AttributeError, ValueError, TypeError) as e:
            error: Exception = e
    raise error


class MpvPlayer:
    def __init__(self, *, ao: str | None = None, video: bool = False,
                 extra_options: Mapping[str, str] | None = None) -> None:
        options: dict[str, Any] = {
            "ytdl": False,                  # ytplay resolves; mpv's yt-dlp hook stays off
            "video": "auto" if video else "no",
            "audio_fallback_to_null": True,  # no sound device: play on, silently
            "terminal": False, "input_default_bindings": False, "input_vo_keyboard": video,
            "idle": True, "keep_open": False,
            # Open the next playlist entry while this one plays, so it starts at once.
            "prefetch_playlist": True,
        }
        if ao:
            options["ao"] = ao
        if not video:
            options["vo"] = "null"
        options.update(extra_options or {})
        self._requested_ao = ao or "auto"
        if extra_options and extra_options.get("audio_device"):
            self._requested_ao += f", device {extra_options['audio_device']}"
        self._listener: Callable[[PlayerEvent], None] = lambda ev: None
        self._lock = threading.Lock()
        self._entries = 0          # playlist entries libmpv has allocated so far
        self._generation = 0       # the entry id libmpv last started: it tags every event
        self._starts: dict[int, float] = {}  # where each entry in libmpv's playlist starts
        self._last_position: float | None = None  # the last position reported
        self._duration: float | None = None
        self._fallback_reported = False
        _few_malloc_arenas()
        self._mpv = _lean_mpv(options)
        self._mpv.register_event_callback(self._on_event)
        _observe_whole_seconds(self._mpv, "time-pos", _POSITION)
        self._mpv.observe_property("duration", self._on_duration)
        self._mpv.observe_property("pause", self._on_pause)
        self._mpv.observe_property("current-ao", self._on_ao)

    # --- commands (called on the asyncio loop) ----------------------------------------------

    def set_listener(self, listener: Callable[[PlayerEvent], None]) -> None:
        self._listener = listener

    def load(self, url: str, *, start: float = 0.0, headers: Mapping[str, str] | None = None,
             paused: bool = False) -> int:
        headers = dict(headers or {})
        self._mpv.user_agent = headers.pop("User-Agent", "") or "ytplay"
        self._mpv.http_header_fields = [f"{k}: {v}" for k, v in headers.items()]
        self._mpv.pause = paused
        with self._lock:
            # libmpv numbers playlist entries 1, 2, 3… in the order they are added, and a
            # `loadfile replace` adds exactly one: that number tags this load's events.
            self._entries += 1
            generation = self._entries
            self._starts = {generation: start}  # `replace` drops every other entry
        options = {"start": f"{start:.3f}"} if start > 0 else {}
        self._mpv.loadfile(url, "replace", **options)
        return generation

    def append_next(self, url: str) -> int:
        """Hand libmpv the item after this one ahead of time (it opens it early, and
        moves on to it gaplessly at the end); returns the generation it will carry."""
        with self._lock:
            self._entries += 1
            entry = self._entries
        self._mpv.loadfile(url, "append")
        return entry

    def drop_next(self) -> None:
        self._mpv.command("playlist-clear")  # everything but what plays

    def play_next(self) -> None:
        """Play the entry handed over with `append_next`, the last of the playlist. libmpv
        may be on it already (it moves on by itself at the end of a file): `weak` makes
        that a no-op. Idle after the end, it needs telling which entry to play."""
        if not self._mpv.idle_active:
            try:
                self._mpv.command("playlist-next", "weak")
                return
            except SystemError:  # it went idle in between: nothing to move on from
                pass
        self._mpv.command("playlist-play-index", str(max(0, (self._mpv.playlist_count or 1) - 1)))

    def stop(self) -> None:
        self._mpv.command("stop")

    def set_paused(self, paused: bool) -> None:
        self._mpv.pause = paused

    def seek(self, entry: int, position: float) -> None:
        with self._lock:
            left = entry != self._generation
        if left or self._mpv.idle_active:
            return  # libmpv has left that entry already
        # Asynchronous, so that its reply takes its place among libmpv's events: see _seeked.
        # An exact seek lands on the audio sample at or just before the time asked (5.0 is
        # 4.99997), which the whole seconds reported (_observe_whole_seconds) would show as
        # the second before: asked a hair later, it lands on the second asked.
        self._mpv.command_async("seek", f"{position + SEEK_MARGIN:.3f}", "absolute+exact",
                                callback=lambda error, _result: self._seeked(entry, error))

    def set_volume(self, volume: float) -> None:
        self._mpv.volume = max(0.0, min(130.0, volume))

    @property
    def volume(self) -> float:
        return float(self._mpv.volume or 0.0)

    @property
    def position(self) -> float | None:
        return self._mpv.time_pos

    @property
    def current_ao(self) -> str | None:
        return self._mpv.current_ao

    def close(self) -> None:
        self._mpv.terminate()

    # --- libmpv's event thread ----------------------------------------------------------------

    def _emit(self, event: PlayerEvent) -> None:
        try:
            self._listener(event)
        except Exception:  # a broken listener must not kill libmpv's event thread
            log.exception("player listener failed")

    def _on_event(self, event: Any) -> None:
        kind = event.event_id.value
        if kind == mpv.MpvEventID.START_FILE:
            entry = int(event.data.playlist_entry_id)
            with self._lock:
                self._generation = entry
                self._last_position = None
                self._duration = None
            self._emit(Started(entry))
        elif kind == mpv.MpvEventID.END_FILE:
            d = event.as_dict()
            entry = int(d.get("playlist_entry_id", 0))
            reason = _REASONS.get(_text(d.get("reason")) or "", EndReason.ERROR)
            error = _text(d.get("file_error"))
            self._emit(Ended(entry, reason, redact(error) if error else None))
        elif kind == mpv.MpvEventID.FILE_LOADED:
            give_back_free_memory()
        elif kind == mpv.MpvEventID.PLAYBACK_RESTART:
            self._emit(Restarted(self._generation))
        elif kind == mpv.MpvEventID.PROPERTY_CHANGE and event.reply_userdata == _POSITION:
            self._on_position(_whole_seconds(event))

    def _seeked(self, entry: int, error: Exception | None) -> None:
        """libmpv's reply to a seek meant for `entry`. Replies and START_FILE events come in
        the order libmpv produced them, so another entry started before this reply means
        libmpv moved on by itself (the end of a file) before the seek ran: it moved the new
        entry. Put that one back where it was starting. (A seek that ran while the new entry
        was still loading fails instead, and moved nothing.)"""
        with self._lock:
            landed, start = self._generation, self._starts.get(self._generation, 0.0)
        if error is None and landed != entry:
            self._mpv.command_async("seek", f"{start:.3f}", "absolute+exact")

    def _on_position(self, value: float | None) -> None:
        """The position in whole seconds (`_observe_whole_seconds`): what the screen,
        MPRIS and the saved place need."""
        if value == self._last_position:
            return
        self._last_position = value
        self._emit(Progress(self._generation, value, self._duration))

    def _on_duration(self, _name: str, value: float | None) -> None:
        self._duration = value
        self._emit(Progress(self._generation, self._last_position, value))

    def _on_pause(self, _name: str, value: bool | None) -> None:
        self._emit(PauseChanged(self._generation, bool(value)))

    def _on_ao(self, _name: str, value: str | None) -> None:
        if value == "null" and self._requested_ao != "null" and not self._fallback_reported:
            self._fallback_reported = True
            self._emit(AudioFallback(self._generation, self._requested_ao))
