"""Runs the checks at once, each on a daemon thread with a deadline: a dead service or a
stuck audio device makes its own line an error, never a hang (a daemon thread left behind
does not keep the process alive)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

from tui.core.redact import redact

from .report import Line, error

Check = Callable[[], list[Line]]


@dataclass(frozen=True)
class Job:
    what: str            # names the line when the check cannot say anything itself
    check: Check
    timeout: float = 15.0


def _start(job: Job) -> Future[list[Line]]:
    future: Future[list[Line]] = Future()

    def work() -> None:
        try:
            future.set_result(job.check())
        except BaseException as e:  # a check that breaks is one error line, no traceback
            future.set_exception(e)

    threading.Thread(target=work, name=f"doctor {job.what}", daemon=True).start()
    return future


def run(jobs: list[Job], show: Callable[[Line], None]) -> list[Line]:
    """Every job's lines, shown in the jobs' order as soon as each is known."""
    started = time.monotonic()
    futures = [(job, _start(job)) for job in jobs]
    lines: list[Line] = []
    for job, future in futures:
        try:
            found = future.result(timeout=max(0.0, started + job.timeout - time.monotonic()))
        except TimeoutError:
            found = [error(job.what, f"no answer within {job.timeout:.0f} s",
                           "run `ytplay doctor` again; if it stays, this is what hangs")]
        except Exception as e:
            found = [error(job.what, f"the check failed: {type(e).__name__}: "
                           f"{redact(str(e))}", None)]
        for line in found:
            show(line)
        lines += found
    return lines
