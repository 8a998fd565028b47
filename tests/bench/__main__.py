"""`make bench` (or `python -m tests.bench`): every benchmark, each printing a table."""

from __future__ import annotations

import asyncio

from . import proxy_bench, scheduler_bench


def main() -> None:
    asyncio.run(scheduler_bench.run())
    print()
    asyncio.run(proxy_bench.run())


if __name__ == "__main__":
    main()
