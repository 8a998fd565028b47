"""The one-timer lease scheduler on a real asyncio loop."""

from __future__ import annotations

import asyncio

from tui.session.leases import LeaseScheduler


async def test_fires_in_deadline_order_and_honours_cancel_and_reschedule() -> None:
    sched = LeaseScheduler()
    fired: list[str] = []
    done = asyncio.Event()

    def note(name: str):
        def cb() -> None:
            fired.append(name)
            if name == "last":
                done.set()
        return cb
    now = sched.now()
    sched.schedule("b", now + 0.04, note("b"))
    sched.schedule("a", now + 0.02, note("a"))
    sched.schedule("gone", now + 0.01, note("gone"))
    sched.cancel("gone")
    sched.schedule("moved", now + 0.01, note("moved"))
    sched.schedule("moved", now + 0.05, note("moved"))   # rescheduled later
    sched.schedule("last", now + 0.06, note("last"))
    await asyncio.wait_for(done.wait(), 5)
    assert fired == ["a", "b", "moved", "last"]
    assert len(sched) == 0


async def test_one_wakeup_for_leases_due_together_and_none_when_idle() -> None:
    sched = LeaseScheduler()
    done = asyncio.Event()
    count = 0

    def cb() -> None:
        nonlocal count
        count += 1
        if count == 1000:
            done.set()
    due = sched.now() + 0.02
    for i in range(1000):
        sched.schedule(f"l{i}", due, cb)
    sched.schedule("far", sched.now() + 3600, cb)
    await asyncio.wait_for(done.wait(), 5)
    assert sched.wakeups == 1
    await asyncio.sleep(0.2)  # idle on purpose: nothing is due for an hour
    assert sched.wakeups == 1
    sched.close()
