"""Real libmpv (ao=null, vo=null) playing the demo service's media."""

from __future__ import annotations

import asyncio
import re
from typing import Callable

import httpx

from tui.core.player_events import EndReason, Ended, PlayerEvent, Progress, Restarted, Started
from tui.demo.service import DemoService


class Events:
    def __init__(self, player) -> None:
        self.loop = asyncio.get_running_loop()
        self.seen: list[PlayerEvent] = []
        self.queue: asyncio.Queue[PlayerEvent] = asyncio.Queue()
        player.set_listener(lambda ev: self.loop.call_soon_threadsafe(self.queue.put_nowait, ev))

    async def wait(self, cond: Callable[[PlayerEvent], bool], timeout: float = 15) -> PlayerEvent:
        async def scan() -> PlayerEvent:
            while True:
                ev = await self.queue.get()
                self.seen.append(ev)
                if cond(ev):
                    return ev
        return await asyncio.wait_for(scan(), timeout)


def media_url(demo: DemoService, media_id: str) -> str:
    page = httpx.get(demo.watch_url(media_id)).text
    return re.search(r'og:audio" content="([^"]+)"', page).group(1).replace("&amp;", "&")


async def test_position_advances_and_seek_lands(demo: DemoService, player) -> None:
    events = Events(player)
    gen = player.load(media_url(demo, "t1"))
    await events.wait(lambda e: isinstance(e, Progress) and e.generation == gen
                      and (e.position or 0) > 0.5)
    first = player.position
    await events.wait(lambda e: isinstance(e, Progress) and (e.position or 0) > first + 0.5)
    player.seek(gen, 60)
    await events.wait(lambda e: isinstance(e, Restarted))
    land = await events.wait(lambda e: isinstance(e, Progress) and e.position is not None)
    # In whole seconds: 60; 59 where libmpv reports its output's buffer before it; 61 where
    # the report of 60 came before the restart and it played on
    assert land.position in (59.0, 60.0, 61.0)
    assert land.duration is not None and abs(land.duration - 184) < 1


async def test_end_of_file_is_reported_with_its_generation(demo: DemoService, player) -> None:
    events = Events(player)
    gen = player.load(media_url(demo, "t4"), start=129)  # 131 s long
    ended = await events.wait(lambda e: isinstance(e, Ended))
    assert ended == Ended(gen, EndReason.EOF)


async def test_replaced_file_ends_with_a_stale_generation(demo: DemoService, player) -> None:
    events = Events(player)
    first = player.load(media_url(demo, "t1"))
    await events.wait(lambda e: isinstance(e, Started) and e.generation == first)
    second = player.load(media_url(demo, "t2"))
    ended = await events.wait(lambda e: isinstance(e, Ended))
    assert (ended.generation, ended.reason) == (first, EndReason.STOP)
    assert second != first
    await events.wait(lambda e: isinstance(e, Started) and e.generation == second)


async def test_unplayable_url_ends_in_error(demo: DemoService, player) -> None:
    events = Events(player)
    gen = player.load(f"{demo.base_url}/media/t1.wav?expire=1&sig=bad")
    ended = await events.wait(lambda e: isinstance(e, Ended))
    assert (ended.generation, ended.reason) == (gen, EndReason.ERROR)
    assert ended.error


async def test_a_seek_for_an_entry_left_behind_moves_nothing(demo: DemoService, player) -> None:
    """libmpv moved on to the entry handed over ahead; a seek still meant for the old one
    must not move the new one."""
    events = Events(player)
    first = player.load(media_url(demo, "t4"), start=129.5)  # 131 s long
    second = player.append_next(media_url(demo, "t1"))
    await events.wait(lambda e: isinstance(e, Restarted) and e.generation == second)
    mark = len(events.seen)
    player.seek(first, 100)
    # A second of the new entry's media time: libmpv would have run that seek long before.
    await events.wait(lambda e: isinstance(e, Progress) and e.generation == second
                      and (e.position or 0) >= 1.0)
    after = events.seen[mark:]
    assert not [e for e in after if isinstance(e, Restarted)]
    assert all((e.position or 0) < 5 for e in after if isinstance(e, Progress))
    player.seek(second, 20)  # a seek meant for it still lands
    land = await events.wait(lambda e: isinstance(e, Progress) and e.generation == second
                             and (e.position or 0) > 10)
    assert abs(land.position - 20) < 1.0


async def test_the_position_comes_once_a_second_in_whole_seconds(demo: DemoService,
                                                                  player) -> None:
    """libmpv updates the position with every chunk of audio; it is reported as the screen
    shows it, when the whole second changes: five seconds of playing bring five or six
    reports, each a whole number one more than the last, not dozens."""
    events = Events(player)
    gen = player.load(media_url(demo, "t1"))
    first = await events.wait(lambda e: isinstance(e, Progress) and e.generation == gen
                              and (e.position or 0) >= 1)
    last = await events.wait(lambda e: isinstance(e, Progress) and e.generation == gen
                             and (e.position or 0) >= first.position + 5)
    seen = [e.position for e in events.seen if isinstance(e, Progress) and e.generation == gen
            and e.position is not None and first.position <= e.position <= last.position]
    assert seen == [first.position + i for i in range(6)]
    player.stop()


async def test_each_file_loaded_hands_the_heap_back(demo: DemoService, player,
                                                    monkeypatch) -> None:
    from tui.adapters import mpv_player

    loaded: list[int] = []
    monkeypatch.setattr(mpv_player, "give_back_free_memory", lambda: loaded.append(1))
    events = Events(player)
    for media in ("t1", "t2"):
        player.load(media_url(demo, media))
        await events.wait(lambda e: isinstance(e, Progress) and (e.position or 0) > 0)
    assert len(loaded) == 2


def test_giving_back_returns_freed_pages_to_the_system() -> None:
    import ctypes
    from pathlib import Path

    from tui.adapters.mpv_player import give_back_free_memory

    def resident() -> int:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024

    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    # 24 MiB in blocks below glibc's mmap threshold, written to, then freed but for the
    # last, which keeps the heap's top where it is: glibc keeps the freed pages resident.
    blocks = [libc.malloc(4096) for _ in range(6144)]
    for b in blocks:
        ctypes.memset(b, 1, 4096)
    for b in blocks[:-1]:
        libc.free(b)
    held = resident()
    give_back_free_memory()
    assert held - resident() > 16 * 1024 * 1024
    libc.free(blocks[-1])


ARENAS = r'''
import ctypes, sys, threading
from tui.adapters.mpv_player import MpvPlayer
from tui.core.player_events import Progress

libc = ctypes.CDLL(None)
playing = threading.Event()
player = MpvPlayer(ao="null")
player.set_listener(lambda e: isinstance(e, Progress) and (e.position or 0) >= 2 and playing.set())
player.load(sys.argv[1])
assert playing.wait(20), "never played two seconds"
buf, size = ctypes.c_char_p(), ctypes.c_size_t()
libc.open_memstream.restype = ctypes.c_void_p
stream = ctypes.c_void_p(libc.open_memstream(ctypes.byref(buf), ctypes.byref(size)))
libc.malloc_info(0, stream)
libc.fclose(stream)
print(ctypes.string_at(buf, size.value).count(b"<heap nr="))
player.close()
'''


def test_libmpv_and_ytplay_share_two_malloc_arenas(tmp_path) -> None:
    import subprocess
    import sys

    from tests.media_files import wav

    media = wav(tmp_path / "ten.wav", 10)
    out = subprocess.run([sys.executable, "-c", ARENAS, str(media)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) <= 2, out.stdout


def test_libmpvs_memory_caps_are_in_force(player) -> None:
    """libmpv's defaults are a video player's: a network stream read whole into memory
    (150 MiB forward), and Lua scripts each with a thread and a state (issue 19)."""
    mpv_ = player._mpv
    assert (mpv_.demuxer_max_bytes, mpv_.demuxer_max_back_bytes) == (24 << 20, 8 << 20)
    assert mpv_.load_scripts is False and mpv_.osc is False
    assert mpv_.load_stats_overlay is False and mpv_.load_osd_console is False
    assert mpv_.cache_on_disk is False  # its file only grows (tui/adapters/mpv_player.py)
