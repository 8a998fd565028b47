"""Changes to one file on disk, as they happen, for live reload of the config.

On Linux the kernel says so (inotify, through asyncinotify, whose descriptor the event loop
watches): nothing runs while nothing changes. watchfiles, the portable library used before,
looks for news every `step` ms on a thread of its own, also when nothing changes (20 times
a second by default), and brings anyio with it; it stays for the systems without inotify,
told to look once a second.

Editors save in different ways (write in place, write a new file and rename it over, delete
and create), so the folder is watched and the file's name picked out; a burst of events
(truncate, write, close) is one change once it has been quiet for `debounce` s."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import AsyncIterator

PORTABLE_STEP_MS = 1000


async def changes(path: Path, debounce: float = 0.2) -> AsyncIterator[None]:
    """Yields after each change to `path` (written, replaced, created, deleted)."""
    if sys.platform.startswith("linux"):
        source = _inotify(path)
    else:
        source = _polled(path, debounce)
    async for _ in _settled(source, debounce):
        yield


def _inotify(path: Path) -> AsyncIterator[None]:
    """The watch is in place when this returns (a file written from then on is seen)."""
    from asyncinotify import Inotify, Mask

    inotify = Inotify()
    inotify.add_watch(path.parent, Mask.CLOSE_WRITE | Mask.MOVED_TO | Mask.CREATE
                      | Mask.DELETE | Mask.MOVED_FROM | Mask.ATTRIB)

    async def events() -> AsyncIterator[None]:
        with inotify:
            async for event in inotify:
                if event.name is not None and event.name.name == path.name:
                    yield
    return events()


async def _polled(path: Path, debounce: float) -> AsyncIterator[None]:
    from watchfiles import awatch

    async for _ in awatch(path.parent, watch_filter=lambda _c, p: Path(p) == path,
                          debounce=int(debounce * 1000), step=PORTABLE_STEP_MS,
                          recursive=False):
        yield


async def _settled(source: AsyncIterator[None], quiet: float) -> AsyncIterator[None]:
    """One item for each burst from `source`: once `quiet` s pass with nothing more. The
    source is read by a task of its own: a wait cut short by the timeout must not cancel
    the source's own wait, which would end it."""
    news = asyncio.Event()

    async def read() -> None:
        async for _ in source:
            news.set()
    reader = asyncio.ensure_future(read())
    try:
        while True:
            await _next(news, reader)
            while True:
                news.clear()
                try:
                    await asyncio.wait_for(_next(news, reader), quiet)
                except asyncio.TimeoutError:
                    break
            yield
    finally:
        reader.cancel()


async def _next(news: asyncio.Event, reader: asyncio.Future[None]) -> None:
    """Until `news`, or the reader's end (its error raised here)."""
    waiting = asyncio.ensure_future(news.wait())
    try:
        await asyncio.wait({waiting, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
    if reader.done():
        reader.result()
        raise RuntimeError("the file watch ended")
