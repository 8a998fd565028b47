"""Live reload's view of the config file (tui/ui/file_changes.py): each way an editor saves
is one change, a burst of writes is one, other files in the folder are none. inotify on
Linux; the portable watchfiles path too, as other systems take it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tui.ui import file_changes


@pytest.fixture(params=["inotify", "portable"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "portable":
        monkeypatch.setattr(sys, "platform", "darwin")
    return request.param


async def test_each_way_of_saving_is_one_change(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("a = 1\n")
    seen = file_changes.changes(path, debounce=0.1)
    first = asyncio.ensure_future(anext(seen))
    await asyncio.sleep(0)  # the generator's first step puts the watch in place
    if backend == "portable":
        await asyncio.sleep(1.5)  # watchfiles starts its thread; nothing to await for it

    (tmp_path / "other.txt").write_text("x")     # another file: no change
    path.write_text("a = 2\n")                   # in place
    path.write_text("a = 3\n")                   # the same burst
    await asyncio.wait_for(first, 10)
    new = tmp_path / "config.toml.tmp"           # atomically, renamed over it
    new.write_text("a = 4\n")
    os.replace(new, path)
    await asyncio.wait_for(anext(seen), 10)
    path.unlink()                                # deleted and written again
    path.write_text("a = 5\n")
    await asyncio.wait_for(anext(seen), 10)
    (tmp_path / "other.txt").write_text("y")     # only another file: nothing comes
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(anext(seen), 1.5)
    await seen.aclose()
