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
