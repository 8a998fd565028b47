"""Terminal graphics for cover art (textual-image: kitty graphics, sixel, else coloured
half-blocks).

textual-image finds out what the terminal can draw when it is imported, by writing queries
to the terminal and reading the answers from stdin. That works only before Textual takes
the terminal (its input thread would swallow the answers). So `prepare()` starts the import
on a thread as early as start-up allows (`ytplay` does it right after reading the config),
overlapping the rest of it, and `factory.build` waits for it (`settle()`) before the app
takes the terminal. Where stdout is no terminal (the tests,
headless runs) nothing is asked and the import can happen whenever it is first needed.

A terminal too narrow for a cover at start (80 columns, the size most open at) is not
asked at all: the queries cost ~40 ms of CPU, for a picture that would not show. Where the
terminal draws neither kitty graphics nor sixel, textual-image's question about kitty
graphics would wait 0.1 s for an answer most terminals never send; terminal_query makes it
end at once."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.message import Message

log = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None
# Set when the thread's work is done. Not Thread.join or is_alive: a join that a signal
# handler's exception interrupts (SIGTERM while ytplay waits here) can mark the thread
# stopped while it still runs (CPython 3.11), and a join after that returns at once.
_done = threading.Event()
_image_class: Any = None
_failed = False
_typed = b""  # keys read with the terminal's answers, for the app

# The columns from which Now Playing shows a cover (below, it takes room the title needs).
COVER_MIN_WIDTH = 100


def _load() -> None:
    global _image_class, _failed
    try:
        if (_on_a_terminal() and os.name == "posix" and sys.__stdin__ is not None
                and sys.__stdin__.isatty()):
            widget = _import_asking(sys.__stdin__.fileno(), sys.__stdout__.fileno())
        else:
            from textual_image import widget
        # With no terminal to ask (screenshots, tests), coloured half-blocks: Textual draws
        # colours whatever its output is.
        _image_class = widget.Image if _on_a_terminal() else widget.HalfcellImage
    except Exception as e:  # no such library, no stdout, a terminal that answers oddly
        log.warning("cover art unavailable: %s: %s", type(e).__name__, e)
        _failed = True
    finally:
        _done.set()


def _import_asking(read_fd: int, write_fd: int) -> Any:
    """textual-image's widgets, imported as it asks the terminal what it can draw; where
    the terminal draws neither kitty graphics nor sixel, its kitty question is answered
    at once (tui/ui/terminal_query.py says how and why)."""
    global _typed
    from . import terminal_query

    with terminal_query.quiet(read_fd):
        drawing = terminal_query.ask(read_fd, write_fd)
        _typed = drawing.typed
        early = drawing.answered and not (drawing.kitty or drawing.sixel)
        if early:
            terminal_query.answered_early(write_fd)
        try:
            from textual_image import widget
        finally:
            if early:
                _typed += terminal_query.drain(read_fd)
    log.info("the terminal draws %s", "kitty graphics" if drawing.kitty else
             "sixel" if drawing.sixel else "neither kitty graphics nor sixel")
    return widget


def _on_a_terminal() -> bool:
    out = sys.__stdout__
    return out is not None and out.isatty()


def prepare() -> None:
    """Start asking the terminal what it can draw (once, before the app runs), when a
    cover could show on it now."""
    global _thread
    if _on_a_terminal() and shutil.get_terminal_size().columns < COVER_MIN_WIDTH:
        return
    with _lock:
        if _thread is None and _image_class is None and not _failed:
            # What textual-image imports of Textual, loaded here first: two threads that
            # import the same modules at once can deadlock on their import locks.
            import textual.app  # noqa: F401
            import textual.widget  # noqa: F401

            _thread = threading.Thread(target=_load, name="terminal-graphics", daemon=True)
            _thread.start()


def settle(timeout: float = 2.0) -> None:
    """Wait for `prepare()`'s queries to end; called before Textual takes the terminal."""
    if _thread is not None:
        _done.wait(timeout)


def keys_typed() -> list[Message]:
    """The keys typed while the terminal was asked (as ytplay was launched), as Textual's
    key events, once; for the app to take as if typed into it. None while it is still
    asking (past `settle`'s patience): the app's loop does not wait for a terminal."""
    global _typed
    if _thread is not None and not _done.is_set():
        return []
    typed, _typed = _typed, b""
    if not typed:
        return []
    from textual._xterm_parser import XTermParser  # how Textual itself reads its input

    parser = XTermParser()
    return [*parser.feed(typed.decode(errors="ignore")), *parser.feed("")]  # "": the end


def image_class() -> Any:
    """textual-image's widget class, or None where it cannot be had (safely) now: not
    prepared before the app took the terminal, still asking, or failed."""
    with _lock:
        if _thread is None and _image_class is None and not _failed and not _on_a_terminal():
            _load()  # nothing to ask of a terminal, so nothing to race
    if _thread is not None and not _done.is_set():
        return None
    return _image_class


def available_later() -> bool:
    """False when covers cannot show in this run at all (the terminal was never asked)."""
    return _image_class is not None or _thread is not None or not _on_a_terminal()
