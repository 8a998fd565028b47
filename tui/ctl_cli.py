"""`ytplay ctl ACTION`: the running ytplay, driven from a shell, a key binding of the window
manager or a status bar, over its control socket (docs/CONTROL.md). It imports nothing of
the session, the UI or an HTTP library: a status bar that runs it every second pays for an
interpreter's start and a few milliseconds, not for ytplay's.

Each action is one request and one answer, a line of JSON each; `watch` then follows, one
line per change, until ytplay ends. What is printed comes from the answer: `--json` prints
it as it came (the schemas in docs/CONTROL.md), the plain form is made from it here."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from tui.control.protocol import NotOurs, check_ours, decode, encode, socket_path
from tui.core.timefmt import clock

REFUSED = 1      # the reason on standard error, in one line
NOT_RUNNING = 3  # no ytplay holds the control socket
ANSWER_WITHIN = 10.0  # s: a ytplay that has not answered by then is stuck, not busy

EXIT_STATUSES = f"""\
exit status:
  0  done
  {REFUSED}  refused: the reason is on standard error, in one line (nothing to skip to,
     nothing to seek in, not a reference, a socket that is not yours alone)
  2  the command line is wrong
  {NOT_RUNNING}  no ytplay is running (for watch: the ytplay it followed ended)"""

# The actions that take nothing: what each does, in the words of the keys it stands for.
SIMPLE = {
    "play": "play (as space does when paused or stopped); nothing if it plays",
    "pause": "pause (as space does when playing); nothing if it does not play",
    "toggle": "play or pause, as space does",
    "next": "the next item, as n does",
    "prev": "the previous item (or the start of this one, past 3 s), as p does",
    "stop": "stop, keeping the item and the position: play resumes there",
}

Amount = tuple[bool, float]  # (relative, value): "+5" is (True, 5.0), "30" is (False, 30.0)


def _amount(text: str) -> Amount:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (+N, -N or N)")
    return text.startswith(("+", "-")), value


def parser() -> argparse.ArgumentParser:
    def action(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, epilog=EXIT_STATUSES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = argparse.ArgumentParser(
        prog="ytplay ctl", epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Drive the ytplay running in a terminal of yours, over its control\n"
                    "socket: each action does what its key does. The protocol and the\n"
                    "--json schemas are in docs/CONTROL.md.")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in SIMPLE.items():
        action(name, text)
    action("seek", "seek by S seconds (+S, -S, as the arrows do), or to second S") \
        .add_argument("where", type=_amount, metavar="±S|S")
    action("volume", "set the volume to N percent (0-130), or change it by +N or -N") \
        .add_argument("level", type=_amount, metavar="±N|N")
    add = action("add", "append to the queue what ytplay can play: a URL, a file, a "
                        "playlist file, service:id")
    add.add_argument("refs", nargs="+", metavar="REF")
    add.add_argument("--next", action="store_true", help="play them next, after this item")
    for name, text in (("status", "what plays: state, title, position, volume"),
                       ("queue", "the queue, one item a line; ▶ marks the current one")):
        action(name, text).add_argument("--json", action="store_true",
                                        help="one JSON object (docs/CONTROL.md)")
    action("watch", "one JSON line (status --json) now and whenever it changes, the "
                    "position at most once a second, until ytplay ends")
    return p


def request(args: argparse.Namespace) -> dict[str, object]:
    """What the socket is asked (docs/CONTROL.md, "Requests")."""
    name = args.action
    if name in ("seek", "volume"):
        relative, value = args.where if name == "seek" else args.level
        return {"cmd": name, "by" if relative else "to": value}
    if name == "add":
        return {"cmd": "add", "refs": [_absolute(ref) for ref in args.refs], "next": args.next}
    return {"cmd": name}


def _absolute(ref: str) -> str:
    """A file named from this shell's folder, as ytplay (whose folder is another) finds it."""
    if "://" not in ref and (ref.startswith(("./", "../", "~")) or os.path.exists(ref)):
        return os.path.abspath(os.path.expanduser(ref))
    return ref


class Unanswered(Exception):
    """No answer to give: `status` is the exit status, the text says why."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


def connect(path: Path) -> socket.socket:
    """A connection to the ytplay holding the socket at `path`."""
    try:
        check_ours(path.parent)
        check_ours(path)
    except FileNotFoundError:
        raise Unanswered(NOT_RUNNING, f"no ytplay is running (no socket at {path})") from None
    except NotOurs as e:
        raise Unanswered(REFUSED, f"refused: {e}") from None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(ANSWER_WITHIN)
    try:
        conn.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        conn.close()
        raise Unanswered(NOT_RUNNING, f"no ytplay is running (the socket at {path} was left "
                                      f"by one that ended)") from None
    except OSError as e:
        conn.close()
        raise Unanswered(REFUSED, f"cannot reach ytplay at {path}: {e.strerror or e}") from None
    return conn


def run(args: argparse.Namespace) -> int:
    try:
        with connect(socket_path()) as conn:
            try:
                conn.sendall(encode(request(args)))
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused before it was read: the answer waiting says why
            lines = conn.makefile("rb")
            answer = _line(lines)
            if not answer.get("ok"):
                raise Unanswered(REFUSED, str(answer.get("error") or "refused"))
            if args.action == "watch":
                conn.settimeout(None)  # a line comes when something changes, however late
                return _follow(lines)
            _print(args, answer)
    except Unanswered as e:
        print(f"ytplay ctl: {e}", file=sys.stderr)
        return e.status
    return 0


def _line(lines: Any) -> dict[str, Any]:
    try:
        line = lines.readline()  # unbounded: a long queue is one long line
    except TimeoutError:
        raise Unanswered(REFUSED, f"ytplay did not answer within {ANSWER_WITHIN:.0f} s") from None
    if not line:
        raise Unanswered(NOT_RUNNING, "ytplay ended before it answered")
    try:
        message = decode(line)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        raise Unanswered(REFUSED, "the answer is not a JSON object: is that socket ytplay's?")
    return message


def _follow(lines: Any) -> int:
    """Each line as it comes, at once: a status bar reads them as they are printed."""
    for line in lines:
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
    print("ytplay ctl: ytplay ended", file=sys.stderr)
    return NOT_RUNNING


def _print(args: argparse.Namespace, answer: dict[str, Any]) -> None:
    if args.action == "status":
        print(json.dumps(answer["status"], ensure_ascii=False) if args.json
              else status_line(answer["status"]))
    elif args.action == "queue":
        if args.json:
            print(json.dumps(answer["queue"], ensure_ascii=False))
        for line in () if args.json else queue_lines(answer["queue"]):
            print(line)


_STATES = {"playing": "▶ playing", "paused": "⏸ paused", "holding": "⏸ holding",
           "loading": "… loading", "resolving": "… resolving", "stopped": "■ stopped",
           "ended": "■ end of queue"}


def status_line(status: dict[str, Any]) -> str:
    """One line, as a status bar shows it: state, title — artist, position, [n/length],
    volume, and the status note when there is one."""
    parts = [_STATES.get(status["state"], status["state"])]
    if status["length"] == 0:
        return f"{parts[0]}  (the queue is empty)"
    if status["title"]:
        parts.append(status["title"] + (f" — {status['artist']}" if status["artist"] else ""))
    parts.append(f"{clock(status['position'])} / "
                 f"{'live' if status['live'] else clock(status['duration'])}")
    if status["index"] is not None:
        parts.append(f"[{status['index'] + 1}/{status['length']}]")
    parts.append(f"vol {status['volume']:.0f}%")
    if status["note"]:
        parts.append(f"({status['note']})")
    return "  ".join(parts)


def queue_lines(queue: dict[str, Any]) -> list[str]:
    """One line an item: ▶ on the current one, its number, title — artist, length, and
    why it failed when it did."""
    width = len(str(len(queue["items"])))
    lines = []
    for item in queue["items"]:
        mark = "▶" if item["index"] == queue["current"] else " "
        label = item["title"] or item["ref"]
        if item["title"] and item["artist"]:
            label += f" — {item['artist']}"
        line = f"{mark} {item['index'] + 1:>{width}}  {label}  {clock(item['duration'])}"
        if item["state"] == "failed":
            line += f"  (failed: {item['reason'] or 'unknown'})"
        lines.append(line)
    return lines
