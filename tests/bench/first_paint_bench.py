"""Start-up: from process start to the first frame, for `ytplay --demo` and for a bare
Textual app (one Static), measured from outside in a pseudo-terminal, in interleaved
rounds of the same run so both see the same machine. At 80×24, the size most terminals
open at, and at 120×36, where ytplay also asks the terminal what it can draw (a cover
fits there; the question costs up to 0.1 s on terminals that never answer it).

Both are read back through pyte, and judged alike:
- first frame: the program's known word is on the screen and its first frame has been
  written down to the last row (Textual draws a whole frame row by row, each row placed
  with an absolute cursor move, so the move to the last row ends the frame);
- complete: the last row has text as well. ytplay's key bar is drawn one refresh after
  the first frame (Textual's Footer composes its keys then); the bare app's Static is
  docked on its last row, so for it both are the same moment.
The CPU time the process had used by its first frame (all its threads, from /proc) is shown
too: on a shared machine it varies less than the time on the clock.

ytplay's modules are byte-compiled first, as pip does when it installs a package and Python
does on a first run: the bare app's Textual is, and where PYTHONDONTWRITEBYTECODE is set
(CI, containers) every round would otherwise compile ytplay's ~70 modules again (~20 ms)."""

from __future__ import annotations

import compileall
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.pty_terminal import Terminal

from .table import print_table

ROUNDS = int(os.environ.get("FIRST_PAINT_ROUNDS", 7))
TIMEOUT = 30.0

BARE_APP = """\
from textual.app import App
from textual.widgets import Static


class Bare(App):
    CSS = "Static { dock: bottom; }"

    def compose(self):
        yield Static("bare Textual app")


Bare().run()
"""

SIZES = ((80, 24), (120, 36))


def _cpu(pid: int) -> float:
    """Seconds of CPU `pid` has used (user and system, all threads); NaN where there is no
    /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _first_paint(args: list[str], word: str, home: Path, cols: int, rows: int
                 ) -> tuple[float, float, float]:
    """Seconds from spawning `args` to its first frame, the CPU it used until then, and
    seconds to its complete frame; fresh XDG folders each time (nothing cached, no saved
    queue, a new config file)."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
    for name in ("CONFIG", "STATE", "DATA", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    env.pop("YTPLAY_CONFIG", None)
    start = time.monotonic()
    term = Terminal(args, env, cols=cols, rows=rows)
    last_row = f"\x1b[{rows};1H".encode()
    try:
        first = term.wait_for(lambda s: word in s and last_row in term.raw, timeout=TIMEOUT)
        cpu = _cpu(term.proc.pid)
        complete = term.wait_for(lambda s: bool(s.rsplit("\n", 1)[-1].strip()), timeout=TIMEOUT)
        if os.environ.get("FIRST_PAINT_SHOW"):
            print(term.text(), file=sys.stderr)
        return first - start, cpu, complete - start
    finally:
        term.close()


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f}"


async def run() -> None:
    import tui

    compileall.compile_dir(Path(tui.__file__).parent, quiet=1)
    programs = {
        "bare Textual app (one Static)": ([sys.executable, "{bare}"], "bare Textual app"),
        "ytplay --demo --ao null": ([sys.executable, "-m", "tui", "--demo", "--demo-port",
                                     "0", "--ao", "null"], "Now Playing"),
    }
    times: dict[tuple[str, int], list[tuple[float, float, float]]] = {
        (name, cols): [] for cols, _ in SIZES for name in programs}
    with tempfile.TemporaryDirectory(prefix="ytplay-first-paint-") as tmp:
        root = Path(tmp)
        bare = root / "bare_app.py"
        bare.write_text(BARE_APP)
        for i in range(ROUNDS):  # interleaved, so all see the same load on the machine
            for cols, rows in SIZES:
                for n, (name, (args, word)) in enumerate(programs.items()):
                    argv = [a.format(bare=bare) for a in args]
                    times[name, cols].append(_first_paint(argv, word, root / f"{i}-{cols}-{n}",
                                                          cols, rows))
    rows_out = []
    for cols, rows in SIZES:
        base = None
        for name in programs:
            first, cpu, complete = (list(c) for c in zip(*times[name, cols]))
            medians = [statistics.median(first), statistics.median(cpu),
                       statistics.median(complete)]
            base = base or medians
            rows_out.append([f"{cols}×{rows}", name, _ms(first), f"{min(first) * 1000:.0f}",
                             f"{medians[0] / base[0]:.2f}×", _ms(cpu),
                             f"{medians[1] / base[1]:.2f}×", _ms(complete),
                             f"{medians[2] / base[2]:.2f}×"])
    print_table(f"Start-up in a pty, from process start: medians of {ROUNDS} interleaved rounds "
                f"(target: ytplay's first frame ≤ 1.5× the bare app's)",
                ["size", "program", "first frame ms", "min", "× bare", "CPU ms", "× bare",
                 "complete ms", "× bare"], rows_out)
