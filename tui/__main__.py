"""`ytplay`: parse the command line, load the config, set up logging, build everything,
run the UI. `ytplay config …` manages the config file instead, `ytplay cache …` the media
cache, `ytplay ctl …` drives the ytplay running.

Whatever stops ytplay before the UI is up is said in one paragraph (what is wrong, what
to do) with exit status 2, never as a traceback: a word that is nothing to play, no
terminal to play in among them; an app that ended on an error exits 1;
Ctrl-C before the app has the terminal (which then reads it as a key) exits 130 quietly;
SIGTERM and SIGHUP end ytplay as q does, with 143 and 129."""

from __future__ import annotations

import gc
import signal
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from tui import cli

if TYPE_CHECKING:
    from textual.app import App

    from tui.config.paths import ConfigLocation
    from tui.config.schema import Config


SIGPIPE_STATUS = 141  # 128 + SIGPIPE: what a command whose reader left exits with
INTERRUPTED_STATUS = 130  # 128 + SIGINT: what a shell says of a command ended by Ctrl-C


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        return INTERRUPTED_STATUS
    finally:
        gc.enable()  # (off during start-up, until the app runs)


def _main(argv: list[str]) -> int:
    if (command := cli.command(argv)) is not None:
        try:
            return _subcommand(*command)
        except BrokenPipeError:  # `ytplay cache ls | head -1`: the reader has what it wanted
            import os

            # Python flushes stdout again at exit: that write goes nowhere instead.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return SIGPIPE_STATUS
    args = cli.parser().parse_args(argv)
    if (wrong := _not_to_play(args.refs)) is not None:  # said before anything is read
        print(f"ytplay: {wrong}", file=sys.stderr)
        return 2
    no_terminal = _no_terminal()
    # Start-up loads Textual and ytplay's first half (~150 ms of imports) and frees next to
    # nothing: the collector would walk the growing heap over and over (~7 ms) for no
    # garbage. It is on again, with all that was loaded frozen, once the app runs.
    gc.disable()
    from tui.libmpv import Lookup

    libmpv = Lookup()  # meanwhile: `ldconfig -p` runs as the first frame's modules load

    from tui.config.paths import locate_config, log_dir
    from tui.core.errors import YtplayError
    from tui.first_frame import Settings
    from tui.logsetup import LogFileError, draw_on_the_terminal, setup_logging
    from tui.ui.starting import CannotStart

    where = locate_config(args.config)
    # On a terminal, what the first frame needs of the config is read as it is and the whole
    # file is validated in start-up's second half, which ends ytplay with the reason when it
    # is wrong. With no terminal there is no frame to hurry: the file is validated first, and
    # what is wrong with it is said alone on stderr, as all that start-up says before a
    # screen would be drawn, and then that there is no terminal to draw it on.
    config = None
    if no_terminal is not None:
        try:
            config = _load_config(where)
        except CannotStart as e:
            print(f"ytplay: {e}", file=sys.stderr)
            return 2
    settings = Settings.read(where.path) if config is None else Settings.of(config)
    log_file = Path(settings.log_file) if settings.log_file else log_dir() / "ytplay.log"
    try:
        setup_logging(log_file, settings.log_level)
    except LogFileError as e:
        from tui.config_cli import hint

        where_to = ("set [log] file to a file you can write" if settings.log_file else
                    f"make {log_dir()} writable for your user, or set [log] file to another file")
        print(f"ytplay: {e}. To start, "
              f"{where_to} with `{hint('edit', where)}` (empty means {log_dir()}).",
              file=sys.stderr)
        return 2
    _clean_up(where.path)  # before the queue is read: its killed saves' leftovers go first
    with ExitStack() as resources:
        from tui.ui import graphics

        running: list[App[None]] = []  # the app, once there is one
        resources.enter_context(_signals_end(running))
        if settings.looks.cover != "off":
            # Its reply read, even when start-up fails (SIGTERM as soon as it asks, too).
            resources.callback(graphics.settle)
            graphics.prepare()  # the terminal is asked what it can draw while the rest loads
        try:
            from tui.first_frame import begin

            begun = begin(args, settings.looks, resources, libmpv=libmpv.wait)
            if no_terminal is not None:
                print(f"ytplay: {no_terminal}", file=sys.stderr)
                return 2
            # (after what begin cannot start is said, on standard error where it was sent)
            resources.callback(draw_on_the_terminal(log_dir() / "native-stderr.log"))
        except (YtplayError, OSError) as e:
            print(f"ytplay: {_cannot_start(e)}", file=sys.stderr)
            return 2
        graphics.settle()  # before the app takes the terminal
        from tui.ui.app import YtplayApp
        from tui.ui.starting import Started
        from tui.ui.terminal_driver import TerminalDriver

        def second_half() -> Started:
            # What the first frame does not show, built once it is drawn (tui/ui/starting.py).
            from tui.factory import build_rest

            valid = config or _load_config(where)
            try:
                return build_rest(begun, args, valid, where.path, resources, lambda: app)
            except (YtplayError, OSError) as e:
                raise CannotStart(_cannot_start(e)) from None
        app = YtplayApp.starting(begun.frame, second_half)
        # Textual's driver, minding the terminal's end: a SIGCONT after the app has ended
        # starts nothing, and a hang-up ends the input and says SIGHUP, so that a terminal
        # gone never leaves ytplay behind on one full core.
        app.driver_class = TerminalDriver
        running.append(app)
        # What is loaded by now (modules, classes, the first frame's queue) lives as long as
        # the process: out of the collector's sight, the full collection that the first
        # frame's allocations set off does not walk it (13 ms of the ~250 to that frame).
        gc.freeze()
        gc.enable()
        try:
            app.run()
        finally:
            app.join_start_up()  # what it built is closed with the rest of `resources`
    # Textual prints an exception that ended the app and sets a non-zero return code;
    # the exit status must say so too.
    return app.return_code or 0


@contextmanager
def _signals_end(running: list[App[None]]) -> Iterator[None]:
    """SIGTERM (`kill`, a logout, a service manager's stop) and SIGHUP (the terminal window
    closed, an ssh session dropped) end ytplay as q does: the terminal given back, the queue
    saved, what start-up built closed; before the app runs, start-up is unwound. The status
    says which (128 + the signal). By default either ends the process at once, losing the
    place in the queue and leaving the terminal in raw mode on the alternate screen (or in
    cbreak mode while it is asked what it draws)."""
    import asyncio
    from functools import partial

    def ending(signum: int, _frame: object) -> None:
        status = 128 + signum
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app's loop is not running: not yet, or no more
            if not running or running[0].return_code is None:  # (once the app has ended,
                raise SystemExit(status) from None              # ytplay is ending anyway)
            return
        loop.call_soon_threadsafe(partial(running[0].exit, return_code=status))
    # A signal ignored from the start stays so: `nohup ytplay` asks to outlive the terminal.
    previous = {s: signal.signal(s, ending) for s in (signal.SIGTERM, signal.SIGHUP)
                if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _subcommand(name: str, argv: list[str]) -> int:
    if name == "config":
        from tui.config_cli import run

        return run(cli.config_parser().parse_args(argv))
    if name == "doctor":
        from tui import doctor

        return doctor.run(cli.doctor_parser().parse_args(argv))
    if name == "cache":
        from tui import cache_cli

        return cache_cli.run(cache_cli.parser().parse_args(argv))
    if name == "ctl":
        from tui import ctl_cli

        return ctl_cli.run(ctl_cli.parser().parse_args(argv))
    if name in ("serve", "url", "export"):
        from tui import serve

        return serve.run(name, argv)
    from tui import login_cli

    return login_cli.run(argv)


def _not_to_play(refs: list[str]) -> str | None:
    """What is wrong with the first word of `refs` that names nothing to play (not a file
    that exists, a URL or service:id), or None. `ytplay doctr` is a command mistyped:
    queued, it would fail when its turn came, in the queue saved for the next start."""
    import os.path

    if not refs:
        return None
    from tui.core.refs import why_not_a_ref

    for ref in refs:
        if why_not_a_ref(ref, exists=os.path.exists) is not None:
            from difflib import get_close_matches

            near = get_close_matches(ref, [c for c in cli.COMMANDS if c != ref], n=1)
            return (f"no such command or file: {ref} "
                    + (f"(did you mean {near[0]}?)" if near else "(ytplay --help lists them)"))
    return None


def _no_terminal() -> str | None:
    """Why there is no terminal to play in, or None: the screen is drawn on standard output
    and the keys read from standard input. Started from a script, a cron job or a service,
    ytplay drew its screen into a file or a pipe and waited for keys that never came."""
    apart = [name for name, stream in (("input", sys.stdin), ("output", sys.stdout))
             if stream is None or not stream.isatty()]
    if not apart:
        return None
    return (f"ytplay plays in a terminal, and its standard {' and '.join(apart)} "
            f"{'is' if len(apart) == 1 else 'are'} not one. Start it in a terminal; "
            f"without one, its commands work: {', '.join(cli.COMMANDS)} "
            f"(ytplay --help).")


def _load_config(where: ConfigLocation) -> Config:
    """The whole config, validated (written with the defaults on the first run); what is
    wrong with it as CannotStart, in one paragraph that says how to fix it."""
    from tui.config.store import ConfigFileError
    from tui.config_cli import explain, hint
    from tui.core.errors import YtplayError
    from tui.runtime_config import load_config
    from tui.ui.starting import CannotStart

    try:
        return load_config(where.path, make_folder=not where.named_by)
    except ConfigFileError as e:
        raise CannotStart(explain(e, where).removeprefix("ytplay: ")) from None
    except YtplayError as e:
        raise CannotStart(f"the config file has errors:\n{e}\nFix them with: "
                          f"{hint('edit', where)}") from None


def _cannot_start(error: Exception) -> str:
    """What stops start-up, and what to do, in one paragraph."""
    if isinstance(error, OSError):  # a file or folder ytplay needs to start with
        return (f"{error.filename or 'a file ytplay needs'} cannot be used ({error.strerror}). "
                f"Check that it exists and that your user may read and write it, then start "
                f"ytplay again.")
    return str(error)


def _clean_up(config_path: Path) -> None:
    """Temp files that killed saves left behind (a save in progress elsewhere is kept)."""
    import logging

    from tui.config import store
    from tui.config.atomic import remove_abandoned_temps
    from tui.config.paths import data_dir, playlists_dir

    removed = store.clean_up(config_path)
    for folder in (data_dir(), playlists_dir()):  # folders only ytplay writes in
        removed += remove_abandoned_temps(folder)
    for path in removed:
        logging.getLogger("tui").info("removed %s, left by a save that was cut short", path)


if __name__ == "__main__":
    sys.exit(main())
