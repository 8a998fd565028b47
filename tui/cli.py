"""Command-line parsing. Imports nothing heavy, so `--help` and `--version` are instant."""

from __future__ import annotations

import argparse
from typing import Callable

from tui import __version__

# ytplay's commands: name → (what follows it, its line in --help). Each has its own --help.
COMMANDS = {
    "config": ("ACTION", "the config file: path, show, check, edit, reset"),
    "doctor": ("", "check what ytplay needs; says how to fix what is wrong"),
    "cache": ("ACTION", "the media cache: ls, size, clear [--all], verify"),
    "login": ("NAME", "log in to an OAuth2 service with a code entered on any device"),
    "ctl": ("ACTION", "drive the running ytplay: next, seek, add, status, watch"),
    "serve": ("", "stable URLs for MPD, VLC, mpv…: the session, headless"),
    "url": ("REF...", "print the stable `ytplay serve` URL of each reference"),
    "export": ("REF...", "write an M3U of their `ytplay serve` URLs, titled (--m3u FILE)"),
}

USAGE = """\
ytplay [OPTIONS] [URL|FILE|service:id ...]
       ytplay [--config PATH] COMMAND ..."""

DESCRIPTION = """\
ytplay plays anything yt-dlp can resolve (and media from services that speak the ytplay
session protocol) through libmpv, from the keyboard, and keeps expiring tokens and stream
URLs alive while it plays. It plays in a terminal; its commands work anywhere (a script,
a pipe), each with its own --help, and take --config before or after their name.

commands:
""" + "\n".join(f"  {f'ytplay {name} {what}'.strip():<22}  {line}"
                for name, (what, line) in COMMANDS.items())

EPILOG = """\
examples:
  ytplay                          the queue from last time
  ytplay URL FILE ...             queue these and start playing
  ytplay config check             validate the config file
  ytplay doctor                   check libmpv, yt-dlp, audio, media keys, the config,
                                  services and folders
  ytplay cache ls                 the entries of the media cache
  ytplay ctl next                 the running ytplay skips to the next item, as n does
  ytplay ctl watch                one JSON line per change, for a status bar
  ytplay --offline                play only what is cached; no network at all
  ytplay login NAME               log in to an OAuth2 service ([[services]] kind =
                                  "oauth2") with a code entered on any device
  ytplay --import list.m3u        append a playlist file
  ytplay --playlist road-trip     append a saved playlist and play it
  ytplay --demo                   play the embedded demo service (no internet needed)
  ytplay --demo --demo-url-ttl 20 --demo-fail-rate 0.2
                                  the demo with URLs that expire every 20 s and 20 % of
                                  requests failing

keys: space play/pause, enter play selected, n/p next/previous, left/right seek 5 s,
      +/- volume, c edit config, ? help, q quit"""


def command(argv: list[str]) -> tuple[str, list[str]] | None:
    """The command `argv` runs and its arguments, or None when it plays. The command may
    come after options: `ytplay --config FILE config check` runs `config check` on FILE.
    The options before its name are handed to it, and its own parser says which it takes
    (--config, and --ao for doctor)."""
    if COMMANDS.keys().isdisjoint(argv):
        return None  # (no parse on the way to the player when no word could be one)
    rest = parser(refs=argparse.REMAINDER).parse_args(argv).refs
    if not rest or rest[0] not in COMMANDS:
        return None  # the name was an option's value (--playlist config), or a later word
    return rest[0], argv[:len(argv) - len(rest)] + rest[1:]


def port(text: str) -> int:
    """A TCP port, checked here so a wrong one is a usage error, not a traceback later."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port: use a number from 1 to 65535 (0 for any free port)")
    return value


def _bounded(kind: type[int] | type[float], low: float, high: float,
             what: str) -> Callable[[str], int | float]:
    """An argparse type for a demo knob: a number from `low` to `high`, else a usage error
    (a lifetime of 0 s, say, starts a demo whose every URL is born expired)."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:  # nan is in no range
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value
    return parse


SECONDS = _bounded(int, 1, 86400, "a lifetime: use whole seconds from 1 to 86400")
SHARE = _bounded(float, 0.0, 1.0, "a share: use a number from 0 to 1")


def parser(refs: str = "*") -> argparse.ArgumentParser:
    """ytplay's own parser. `refs`: how many words it queues (REMAINDER: all from the
    first, options among them, which is how `command` finds a command after options)."""
    p = argparse.ArgumentParser(prog="ytplay", usage=USAGE, description=DESCRIPTION,
                                epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("refs", nargs=refs, metavar="URL|FILE|service:id",
                   help="things to queue and play")
    p.add_argument("--version", action="version", version=f"ytplay {__version__}")
    p.add_argument("--config", metavar="PATH", default=None,
                   help="the config file (default: $YTPLAY_CONFIG, else config.toml in the "
                        "user config directory; `ytplay config path` prints it)")
    p.add_argument("--ao", metavar="NAME", default=None,
                   help="libmpv audio output (default: libmpv's choice, falling back to "
                        "'null' when no sound device works; 'null' plays silently)")
    p.add_argument("--audio-device", metavar="NAME", default=None,
                   help="libmpv audio device, e.g. alsa/hdmi or pulse/<sink> "
                        "(mpv --audio-device=help lists them)")
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="FILE",
                   help="append an .m3u/.m3u8 playlist to the queue (repeatable)")
    p.add_argument("--playlist", metavar="NAME", default=None,
                   help="append a saved playlist (saved in the app with w) and play it")
    p.add_argument("--video", action="store_true",
                   help="open a video window when a display exists (default: audio only)")
    p.add_argument("--offline", action="store_true",
                   help="play only what the media cache holds (downloads, what played "
                        "before): nothing is resolved, no token asked for, no request made; "
                        "the rest says why and stays queued")

    demo = p.add_argument_group("demo service", "an embedded media service on 127.0.0.1")
    demo.add_argument("--demo", action="store_true", help="queue and play the demo tracks")
    demo.add_argument("--demo-port", type=port, default=8765, metavar="PORT",
                      help="preferred port; a free one is taken when it is in use (8765)")
    demo.add_argument("--demo-token-ttl", type=SECONDS, default=None, metavar="S",
                      help="access token lifetime in seconds (60)")
    demo.add_argument("--demo-url-ttl", type=SECONDS, default=None, metavar="S",
                      help="signed stream URL lifetime in seconds (90)")
    demo.add_argument("--demo-segment-ttl", type=SECONDS, default=None, metavar="S",
                      help="signed HLS segment URL lifetime in seconds (30)")
    demo.add_argument("--demo-stream-limit",
                      type=_bounded(int, 1, 1000, "a limit: use a number from 1 to 1000"), default=None, metavar="N",
                      help="concurrent playback sessions allowed per user (2)")
    demo.add_argument("--demo-fail-rate", type=SHARE, default=None, metavar="F",
                      help="share of requests answered 503, 0..1 (0)")
    demo.add_argument("--demo-latency",
                      type=_bounded(float, 0.0, 600.0, "a delay: use seconds from 0 to 600"), default=None, metavar="S",
                      help="seconds added before every answer (0)")
    demo.add_argument("--demo-drop-rate", type=SHARE, default=None, metavar="F",
                      help="share of media responses cut off mid-body, 0..1 (0)")
    demo.add_argument("--demo-media-rate",
                      type=_bounded(int, 0, 1 << 40, "a rate: use bytes per second, 0 or more"), default=None, metavar="BPS",
                      help="bytes per second media bodies are sent at, to watch a download "
                           "(0: as fast as they go)")
    demo.add_argument("--demo-clock-offset", type=float, default=None, metavar="S",
                      help="how far the service's clock runs ahead (+) or behind (-), s (0)")
    return p


def config_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ytplay config", description="Work with the config file.")
    p.add_argument("--config", metavar="PATH", default=None, help="the config file")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions = {
        "path": sub.add_parser("path", help="print where the config file is"),
        "show": sub.add_parser("show", help="print the effective config, secrets redacted"),
        "check": sub.add_parser("check", help="validate the file; exit 1 listing the errors"),
        "edit": sub.add_parser("edit", help="edit a copy in $VISUAL/$EDITOR; the file is "
                                            "replaced only by a valid one (the old one kept "
                                            "as .bak); errors cite the copy's lines, and a "
                                            "copy left with errors is kept"),
        "reset": sub.add_parser("reset", help="replace the file with the commented defaults "
                                              "(the old one kept as .bak)"),
    }
    actions["reset"].add_argument("--yes", action="store_true", help="do not ask")
    # `ytplay config edit --config PATH` is how people type it (and what the hints print);
    # SUPPRESS keeps a --config given before the action when none follows it.
    for action in actions.values():
        action.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                            help="the config file")
    return p


def doctor_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ytplay doctor",
        description="Check what ytplay needs: libmpv, yt-dlp (and its age), a JavaScript "
                    "runtime for yt-dlp, the audio output, the D-Bus session bus, the config, "
                    "each service (reachable, credentials accepted) and the folders ytplay "
                    "writes in. One line each: ok, warning or error with the command that "
                    "fixes it. Exit status 1 when any line is an error.")
    p.add_argument("--config", metavar="PATH", default=None, help="the config file")
    p.add_argument("--ao", metavar="NAME", default=None,
                   help="the libmpv audio output to check instead of the configured one")
    return p
