"""`make bench` (or `python -m tests.bench`): every benchmark, each printing a table."""

from __future__ import annotations

import asyncio

import subprocess
import sys

from . import (cache_bench, downloads_bench, first_paint_bench, next_track_bench,
               playing_bench, proxy_bench, queue_bench, scheduler_bench)

BENCHES = {"scheduler": scheduler_bench, "proxy": proxy_bench, "queue": queue_bench,
           "next-track": next_track_bench, "first-paint": first_paint_bench,
           "cache": cache_bench, "downloads": downloads_bench, "playing": playing_bench}


def main() -> None:
    """All benchmarks, or those named on the command line; each in a process of its own, so
    that one's memory and threads do not colour another's numbers."""
    names = sys.argv[1:] or list(BENCHES)
    if len(names) == 1:
        asyncio.run(BENCHES[names[0]].run())
        return
    for name in names:
        subprocess.run([sys.executable, "-m", "tests.bench", name], check=True)
        print()


if __name__ == "__main__":
    main()
