"""What a process costs, read from outside it in /proc, the same way for ytplay and for its
baseline: CPU time (every thread, and children it waited for), resident and proportional
memory (smaps_rollup), and wake-ups (context switches of every thread: each is a thread
that ran, whether it woke by itself or was preempted)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Reading:
    cpu: float        # s of CPU since the process started
    switches: int     # context switches of all its threads so far
    rss: int          # bytes
    pss: int          # bytes


def _cpu(pid: int) -> float:
    # Fields after the command name, which may hold spaces: utime, stime, cutime, cstime
    # are the 12th to 15th of them.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICK


def _switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue  # a thread that ended meanwhile
    return total


def _memory(pid: int) -> tuple[int, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0]) * 1024
    return values["Rss"], values["Pss"]


def read(pid: int) -> Reading:
    rss, pss = _memory(pid)
    return Reading(_cpu(pid), _switches(pid), rss, pss)


@dataclass(frozen=True)
class Cost:
    cpu: float        # share of one core over the window, in %
    wakeups: float    # context switches a second
    rss: int          # bytes, at the end of the window
    pss: int


def over(start: Reading, end: Reading, seconds: float) -> Cost:
    return Cost(100 * (end.cpu - start.cpu) / seconds, (end.switches - start.switches) / seconds,
                end.rss, end.pss)
