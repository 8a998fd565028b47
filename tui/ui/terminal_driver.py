"""The driver ytplay's app runs on a terminal with: Textual's own (LinuxDriver), with the
two ends of the terminal it does not look after.

- **SIGCONT resumes only what was suspended.** Textual starts application mode again at
  every SIGCONT, suspended or not, and its handler stays installed after the app has
  ended. A terminal that hangs up sends SIGHUP and SIGCONT (to the session leader; to the
  foreground job when the leader, the shell, exits): coming during q's quit, after the app
  had given the terminal back, SIGCONT started application mode again, with an input
  thread that nothing would ever stop, and the process, unable to exit, read the dead
  terminal on one full core for good.
- **A terminal that hung up ends the input.** Textual's input thread reads until it is told
  to stop, and a terminal that has hung up reads as end of file at once, every time: the
  thread spun on one core until the app stopped it, and for good where SIGHUP is ignored
  (`nohup ytplay`) or never comes (a job the kernel does not signal). Here the end of the
  input ends the thread, and ytplay is told as the kernel tells the terminal's foreground
  job: SIGHUP, delivered to the main thread, which ends ytplay as q does unless it is
  ignored (tui/__main__.py).
- **Nothing runs while nothing is typed.** Textual's input loop wakes ten times a second to
  see whether it should stop, whatever happens: half of the wake-ups of a ytplay at rest.
  Here it waits on the terminal and on a pipe that `disable_input` writes to, and wakes on
  a timer only for a second after input came (a lone escape is a key once its wait is
  over: the parser's `tick`)."""

from __future__ import annotations

import os
import selectors
import signal
import threading
import time
from codecs import getincrementaldecoder
from typing import TYPE_CHECKING, Any

# Textual's own parser of what a terminal sends (keys, mouse, answers), which its input
# loop below feeds; Textual exports it from a private module only.
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

if TYPE_CHECKING:
    from textual.app import App

TICK = 0.1  # s between the parser's ticks while it may be waiting (Textual's own period)


class TerminalDriver(LinuxDriver):
    def __init__(self, app: App[Any], *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self._parser_debug = debug
        self._suspended = False  # by SIGTSTP or App.suspend: a SIGCONT resumes it
        self._ended = False      # the app gave the terminal back for good
        self._wake_read, self._wake_write = os.pipe()  # `disable_input` to the input loop
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)

    def suspend_application_mode(self) -> None:
        if self._suspended or self._ended:
            return
        self._suspended = True
        super().suspend_application_mode()

    def resume_application_mode(self) -> None:
        if not self._suspended or self._ended:
            return  # a SIGCONT that follows no suspend: there is nothing to resume
        self._suspended = False
        super().resume_application_mode()

    def stop_application_mode(self) -> None:
        # Decided before the terminal is given back: a signal handled meanwhile (handlers
        # run between any two lines of the main thread) finds the end already there.
        if not self._suspended:
            self._ended = True
        super().stop_application_mode()

    def disable_input(self) -> None:
        # The input loop stops (Textual then joins it). The pipe lives as long as the
        # process: Textual calls this after close(), as the app shuts down.
        try:
            os.write(self._wake_write, b"!")
        except BlockingIOError:
            pass  # full of bytes no loop has read: it is readable already
        super().disable_input()

    def run_input_thread(self) -> None:
        """Textual's input loop (LinuxDriver.run_input_thread), ended by `disable_input`'s
        byte on the wake pipe and by the end of the input. A terminal that hung up reads as
        end of file, or fails with EIO; either way nothing more will come from it."""
        try:
            os.read(self._wake_read, 64)  # one written while no loop ran (a resume follows)
        except BlockingIOError:
            pass
        parser = XTermParser(self._parser_debug)
        decode = getincrementaldecoder("utf-8")().decode
        ticking_until = 0.0  # a second after input came: the parser may be waiting
        with selectors.SelectSelector() as selector:  # (Textual's choice: poll and kqueue
            selector.register(self.fileno, selectors.EVENT_READ)  # miss ttys on macOS)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self.exit_event.is_set():
                timeout = TICK if time.monotonic() < ticking_until else None
                ready = {key.fd for key, _ in selector.select(timeout)}
                if self._wake_read in ready:
                    return
                if ready:
                    try:
                        data = os.read(self.fileno, 4096)
                    except OSError:
                        data = b""
                    if not data:
                        self._hung_up()
                        return
                    ticking_until = time.monotonic() + 1.0
                    for message in parser.feed(decode(data)):
                        self.process_message(message)
                for message in parser.tick():  # an escape alone, once it has waited
                    self.process_message(message)

    def _hung_up(self) -> None:
        """Say the hang-up as the kernel says it to the foreground job, once the app runs
        (afterwards ytplay is ending anyway): SIGHUP, to the main thread, which runs the
        handlers and may be asleep in the app's loop (a signal to the process could wake
        another thread, and the main one only at its next timer)."""
        main = threading.main_thread()
        if not self._ended and main.ident is not None:
            signal.pthread_kill(main.ident, signal.SIGHUP)
