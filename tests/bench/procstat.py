"""What a process costs, read from outside it in /proc, the same way for ytplay and for its
baseline, over the process and every process under it (ytplay's yt-dlp worker is part of
what playing costs): CPU time (every thread, the children it waited for and the ones still
running), resident and proportional memory (smaps_rollup), and wake-ups (context switches
of every thread: each is a thread that ran, whether it woke by itself or was preempted)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Reading:
    cpu: float                  # s of CPU since the process started, its tree's
    switches: dict[int, int]    # context switches of all its threads so far, by process
    rss: int                    # bytes, summed over the tree
    pss: int                    # bytes


def tree(pid: int) -> list[int]:
    """`pid` and the processes under it, to any depth."""
    found = [pid]
    for p in found:
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                found += [int(c) for c in task.read_text().split()]
            except FileNotFoundError:
                continue  # a thread that ended meanwhile
    return found


def _cpu(pid: int) -> float:
    # Fields after the command name, which may hold spaces: utime, stime, cutime, cstime
    # (children already waited for, no longer in the tree) are the 12th to 15th of them.
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
    """The tree under `pid` now. A child that ends between two readings has its CPU counted
    in its parent's (once waited for), its wake-ups in the window lost."""
    cpu, switches, rss, pss = 0.0, {}, 0, 0
    for p in tree(pid):
        try:
            memory = _memory(p)
            cpu += _cpu(p)
            switches[p] = _switches(p)
        except (FileNotFoundError, ProcessLookupError):
            continue  # a child that ended meanwhile
        rss, pss = rss + memory[0], pss + memory[1]
    return Reading(cpu, switches, rss, pss)


@dataclass(frozen=True)
class Cost:
    cpu: float        # share of one core over the window, in %
    wakeups: float    # context switches a second
    rss: int          # bytes, at the end of the window
    pss: int


def over(start: Reading, end: Reading, seconds: float) -> Cost:
    switched = sum(n - start.switches.get(p, 0) for p, n in end.switches.items())
    return Cost(100 * (end.cpu - start.cpu) / seconds, switched / seconds, end.rss, end.pss)
