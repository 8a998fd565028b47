"""`make bench` (or `python -m tests.bench`): every benchmark, each printing a table."""

from __future__ import annotations

import asyncio

import sys

from . import next_track_bench, proxy_bench, queue_bench, scheduler_bench

BENCHES = {"scheduler": scheduler_bench, "proxy": proxy_bench, "queue": queue_bench,
           "next-track": next_track_bench}


def main() -> None:
    """All benchmarks, or those named on the command line."""
    for name in sys.argv[1:] or list(BENCHES):
        asyncio.run(BENCHES[name].run())
        print()


if __name__ == "__main__":
    main()
