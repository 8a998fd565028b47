"""The lease scheduler: cost per schedule / refresh / fire event and memory, for 1k, 10k and
100k leases, and how often it wakes while nothing is due."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

from tui.session.leases import LeaseScheduler

from .table import print_table


def _noop() -> None:
    pass


async def _one(n: int) -> list[str]:
    sched = LeaseScheduler()
    now = sched.now()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    for i in range(n):
        sched.schedule(f"lease{i}", now + 3600 + i * 0.001, _noop)
    schedule_us = (time.perf_counter() - t) / n * 1e6
    memory = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()

    t = time.perf_counter()  # a refresh reschedules its lease further out
    for i in range(n):
        sched.schedule(f"lease{i}", now + 7200 + i * 0.001, _noop)
    refresh_us = (time.perf_counter() - t) / n * 1e6

    fired = 0

    def count() -> None:
        nonlocal fired
        fired += 1
    for i in range(n):  # all due at once: the cost of popping each
        sched.schedule(f"lease{i}", now - 1, count)
    t = time.perf_counter()
    sched._fire()
    fire_us = (time.perf_counter() - t) / n * 1e6
    assert fired == n

    for i in range(n):
        sched.schedule(f"lease{i}", sched.now() + 3600, _noop)
    woke = sched.wakeups
    await asyncio.sleep(2.0)  # idle: nothing is due for an hour
    idle = sched.wakeups - woke
    sched.close()
    return [f"{n:,}", f"{schedule_us:.2f}", f"{refresh_us:.2f}", f"{fire_us:.2f}",
            f"{memory / n:.0f}", f"{memory / 2**20:.1f}", str(idle)]


async def run() -> None:
    rows = [await _one(n) for n in (1_000, 10_000, 100_000)]
    print_table("Lease scheduler (one heap, one timer)",
                ["leases", "schedule µs", "refresh µs", "fire µs", "bytes/lease", "MiB",
                 "wake-ups in 2 s idle"], rows)
