"""Whether libmpv is installed, found without loading it (ytplay loads it once the first frame
is drawn; its absence is said before any screen).

python-mpv finds libmpv with ctypes.util.find_library, which on Linux runs `ldconfig -p`
(~3 ms, most of it waiting for that process): `Lookup` makes the same search on a thread as
start-up begins, while the first frame's modules load, and start-up takes its answer when it
needs it."""

from __future__ import annotations

import threading
from pathlib import Path

from tui.core.errors import PlayerUnavailable

LIBMPV_MISSING = """\
ytplay needs libmpv, the library behind the mpv player, and could not load it ({detail}).
Install it from your system's packages — Debian/Ubuntu: sudo apt install libmpv2;
Fedora: sudo dnf install mpv-libs; Arch: sudo pacman -S mpv; macOS: brew install mpv —
then run ytplay again."""


def find_libmpv() -> None:
    """Raises PlayerUnavailable when libmpv is not installed, without loading it: the
    look-up python-mpv makes when it is imported."""
    import ctypes.util
    import importlib.util
    import os

    spec = importlib.util.find_spec("mpv")
    if spec is None or spec.origin is None:
        detail = "No module named 'mpv'"
    elif os.name == "nt":  # a DLL on %PATH%, or beside python-mpv
        beside = Path(spec.origin).parent
        names = ("mpv-2.dll", "libmpv-2.dll", "mpv-1.dll")
        if any(ctypes.util.find_library(n) or (beside / n).is_file() for n in names):
            return
        detail = "Cannot find mpv-1.dll, mpv-2.dll or libmpv-2.dll in your system %PATH%"
    elif ctypes.util.find_library("mpv") is None:
        detail = "Cannot find libmpv in the usual places"
    else:
        return
    raise PlayerUnavailable(LIBMPV_MISSING.format(detail=detail))


class Lookup:
    """`find_libmpv` on a thread, started at once; `wait` gives its answer."""

    def __init__(self) -> None:
        self._error: Exception | None = None
        # An event, not Thread.join: a join that a signal handler's exception interrupts can
        # mark the thread stopped while it still runs (CPython 3.11).
        self._done = threading.Event()
        threading.Thread(target=self._find, name="libmpv-lookup", daemon=True).start()

    def _find(self) -> None:
        try:
            find_libmpv()
        except Exception as e:  # said where start-up would have said it (not a traceback)
            self._error = e
        finally:
            self._done.set()

    def wait(self) -> None:
        """Raises PlayerUnavailable when libmpv is not installed, or what else the look-up
        raised (an OSError: ctypes' search wants a temporary file, for one)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
