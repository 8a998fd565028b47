"""libmpv: is it there (and which version), and which audio output does it open."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any

from . import install
from .report import Line, error, ok, warning

# A test seam: the libmpv file to load instead of the one the system's library search
# finds. python-mpv looks the library up with ctypes.util.find_library, which reads the
# linker cache and has no override of its own; this lets tests/test_doctor.py make libmpv
# missing for real (a load that fails) without uninstalling it.
LIBRARY_ENV = "YTPLAY_DOCTOR_LIBMPV"
AO_TIMEOUT = 8.0  # s for libmpv to open an audio output


def _load() -> str:
    """The library's path as loaded; OSError when there is none or it does not load."""
    path = os.environ.get(LIBRARY_ENV) or ctypes.util.find_library("mpv")
    if not path:
        raise OSError("no libmpv.so in the system's library search path")
    lib = ctypes.CDLL(path)
    lib.mpv_client_api_version.restype = ctypes.c_ulong
    version = lib.mpv_client_api_version()
    return f"{path}, client API {version >> 16}.{version & 0xFFFF}"


def _player(**options: Any) -> Any:
    import mpv

    return mpv.MPV(vo="null", video="no", ytdl=False, terminal=False, idle=True,
                   input_default_bindings=False, **options)


def check_libmpv() -> list[Line]:
    try:
        where = _load()
    except OSError as e:
        return [error("libmpv", f"not found ({e})", install.libmpv_install())]
    if os.environ.get(LIBRARY_ENV):
        return [ok("libmpv", where)]
    try:
        player = _player(ao="null")
    except Exception as e:  # a libmpv python-mpv cannot drive: its error says why
        return [error("libmpv", f"{where}, but it does not start: {type(e).__name__}: {e}",
                      install.libmpv_install())]
    try:
        return [ok("libmpv", f"{player.mpv_version} ({where})")]
    finally:
        player.terminate()


def check_audio(ao: str | None, device: str | None, edit: str) -> list[Line]:
    """Ask libmpv to play a second of silence through the configured output and read back
    which output it opened. Falling back to `null` means nothing will be heard."""
    what = "audio output"
    try:
        _load()
    except OSError:
        return [warning(what, "not checked: libmpv is missing (see the libmpv line)")]
    options: dict[str, Any] = {"audio_fallback_to_null": True}
    if ao:
        options["ao"] = ao
    if device:
        options["audio_device"] = device
    asked = ao or "auto"
    try:
        player = _player(**options)
    except Exception as e:
        return [error(what, f"libmpv refused ao={asked}: {e}",
                      f'{edit}  (set [playback] audio_output, e.g. "auto")')]
    try:
        player.play("av://lavfi:anullsrc=d=1")
        try:
            player.wait_for_property("current-ao", lambda v: v, timeout=AO_TIMEOUT)
        except TimeoutError:
            pass
        opened = player.current_ao
    finally:
        player.terminate()
    if not opened:
        return [error(what, f"libmpv opened no audio output (asked for {asked})",
                      f"mpv --ao=help, then set [playback] audio_output: {edit}")]
    if opened == "null" and asked != "null":
        return [warning(what, f"libmpv fell back to null (asked for {asked}): no sound "
                              "device could be opened, playback will be silent",
                        f"mpv --audio-device=help, then set [playback] audio_device: {edit}")]
    return [ok(what, f"{opened}" + (" (as configured)" if ao else " (libmpv's choice)"))]
