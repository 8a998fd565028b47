"""Terminal graphics for cover art (textual-image: kitty graphics, sixel, else coloured
half-blocks).

What the terminal can draw must be asked before Textual takes the terminal (its input thread
would swallow the answers), but the first frame has no cover to draw. So `prepare()` asks in
one round trip (tui/ui/terminal_query.py) on a thread, overlapping the rest of start-up's first
half, and `settle()` waits for the answer before the app takes the terminal; textual-image
itself (~15 ms of imports and a few MiB, PIL among them) is loaded by `load()` off the loop
when the first picture is to be shown. Where stdout is no terminal (the tests, headless runs) nothing is asked.

textual-image asks the terminal itself when it is imported, whenever stdout is a terminal,
and has no setting to say it need not. Asked after Textual has the terminal, it would read
Textual's input and change its terminal modes. So it is imported while `sys.__stdout__`
says it is not a terminal (a stand-in that passes all else to the real one), told the cell
size through TEXTUAL_CELL_WIDTH and TEXTUAL_CELL_HEIGHT (the variables it reads for web
terminals), and the widget is chosen here from the answer, in textual-image's own order:
sixel, then kitty graphics (terminals that claim both draw sixel better), else half-blocks.

A terminal too narrow for a cover at start (80 columns, the size most open at) is not
asked at all, and no cover shows in that run."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.message import Message

    from .terminal_query import Drawing

log = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None
# Set when the asking is done. Not Thread.join or is_alive: a join that a signal handler's
# exception interrupts (SIGTERM while ytplay waits here) can mark the thread stopped while
# it still runs (CPython 3.11), and a join after that returns at once.
_done = threading.Event()
_drawing: Drawing | None = None
_image_class: Any = None
_failed = False
_typed = b""  # keys read with the terminal's answers, for the app

# The columns from which Now Playing shows a cover (below, it takes room the title needs).
COVER_MIN_WIDTH = 100


def _ask() -> None:
    global _drawing, _typed
    from . import terminal_query

    try:
        read_fd, write_fd = sys.__stdin__.fileno(), sys.__stdout__.fileno()  # type: ignore[union-attr]
        with terminal_query.quiet(read_fd):
            _drawing = terminal_query.ask(read_fd, write_fd)
        _typed = _drawing.typed
        log.info("the terminal draws %s", "sixel" if _drawing.sixel else
                 "kitty graphics" if _drawing.kitty else "neither kitty graphics nor sixel")
    except Exception as e:  # a terminal that cannot be put in cbreak mode, or went away
        log.warning("cover art unavailable: the terminal could not be asked what it draws: "
                    "%s: %s", type(e).__name__, e)
    finally:
        _done.set()


def _on_a_terminal() -> bool:
    out = sys.__stdout__
    return out is not None and out.isatty()


def prepare() -> None:
    """Start asking the terminal what it can draw (once, before the app runs), when a
    cover could show on it now."""
    global _thread
    if not _on_a_terminal():
        return
    if (shutil.get_terminal_size().columns < COVER_MIN_WIDTH or os.name != "posix"
            or sys.__stdin__ is None or not sys.__stdin__.isatty()):
        return
    with _lock:
        if _thread is None:
            from . import terminal_query  # noqa: F401  (here, not on two threads at once)

            _thread = threading.Thread(target=_ask, name="terminal-graphics", daemon=True)
            _thread.start()


def settle(timeout: float = 2.0) -> None:
    """Wait for `prepare()`'s question to be answered; called before Textual takes the
    terminal."""
    if _thread is not None:
        _done.wait(timeout)


class _NotATerminal:
    """sys.__stdout__ as textual-image sees it while it is imported: not a terminal, so it
    asks nothing; all else is the real one's."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def load() -> None:
    """Import textual-image and choose its widget for this terminal: off the app's loop,
    for the first picture to show. Nothing where covers cannot show in this run: not asked
    (too narrow at start) or still asking."""
    global _image_class, _failed
    with _lock:
        if _image_class is not None or _failed:
            return
        terminal = _on_a_terminal()
        if terminal and (_thread is None or not _done.is_set()):
            return
        drawing = _drawing
        if drawing is not None and drawing.cell is not None:
            os.environ["TEXTUAL_CELL_WIDTH"], os.environ["TEXTUAL_CELL_HEIGHT"] = (
                str(n) for n in drawing.cell)
        real = sys.__stdout__
        sys.__stdout__ = _NotATerminal(real)  # type: ignore[misc]
        try:
            from textual_image import widget
        except Exception as e:  # no such library, or one that fails to load
            log.warning("cover art unavailable: %s: %s", type(e).__name__, e)
            _failed = True
            return
        finally:
            sys.__stdout__ = real  # type: ignore[misc]
        # With no terminal (screenshots, tests), or one that did not answer: coloured
        # half-blocks, which any terminal Textual draws on shows.
        _image_class = (widget.SixelImage if drawing is not None and drawing.sixel else
                        widget.TGPImage if drawing is not None and drawing.kitty else
                        widget.HalfcellImage)


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
    """textual-image's widget class for this terminal, or None where it cannot be had now:
    not loaded yet (with no terminal it is loaded here: there is nothing to ask), not asked
    before the app took the terminal, or failed."""
    if _image_class is None and not _on_a_terminal():
        load()
    return _image_class


def available_later() -> bool:
    """False when covers cannot show in this run at all (the terminal was never asked)."""
    return _image_class is not None or _thread is not None or not _on_a_terminal()
