"""The queue and Now Playing show what the media cache holds: "●" for a complete item, the
share for a partial one, in the app the factory builds."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from tests.helpers import until
from tui import cli
from tui.config.paths import media_cache_dir, queue_file
from tui.core.leases import LeaseKind
from tui.core.models import QueueItem
from tui.core.nowplaying import PlayState
from tui.core.queue import Queue
from tui.demo.catalog import BY_ID
from tui.demo.media import media_file
from tui.demo.service import DemoService
from tui.factory import build
from tui.runtime_config import load_config
from tui.session.cache import ItemMeta, MediaCache
from tui.session.store import QueueStore
from tui.ui.widgets.now_playing import NowPlayingText
from tui.ui.widgets.queue_view import QueueView


async def _cache(refs_and_bodies: list[tuple[str, bytes, int]]) -> None:
    """Entries as a relay would leave them: (ref, the whole file, bytes of it written)."""
    cache = MediaCache(media_cache_dir(), 1 << 30)
    await cache.ready()
    for ref, body, upto in refs_and_bodies:
        w = cache.writer(ref, 0, length=len(body), content_type="audio/wav")
        assert w is not None
        cache.describe(ref, ItemMeta(title=f"Cached {ref[-2:]}", artist="Demo", duration=100.0))
        w.write(body[:upto])
        w.close()
    cache.close()


async def test_queue_rows_and_now_playing_show_what_is_cached(tmp_path: Path, demo: DemoService,
                                                              media_dir: Path) -> None:
    refs = [demo.watch_url(t) for t in ("t4", "t5", "t6")]
    t4, t5 = (media_file(media_dir, BY_ID[t]).read_bytes() for t in ("t4", "t5"))
    await _cache([(refs[0], t4, len(t4)), (refs[1], t5, int(len(t5) * 0.4) + 1)])
    QueueStore(queue_file()).save(Queue([QueueItem(ref=r, title=f"Item {i}", duration=100.0)
                                         for i, r in enumerate(refs)], 2), 0.0)
    path = tmp_path / "config.toml"
    args = cli.parser().parse_args(["--ao", "null"])
    with ExitStack() as resources:
        app = build(args, load_config(path), path, resources)
        async with app.run_test(size=(100, 30)) as pilot:
            view = app.query_one(QueueView)

            def row(i: int) -> str:
                return view.render_line(i - view.scroll_offset.y).text.rstrip()
            await until(pilot, lambda: "● 1:40" in row(0), 20)
            assert "◐ 40% 1:40" in row(1)
            assert "●" not in row(2) and "◐" not in row(2)
            app.playback.play(0)
            await until(pilot, lambda: app.playback.now.state is PlayState.PLAYING, 30)
            await pilot.pause()
            text = app.query_one(NowPlayingText)
            assert "● cached" in str(text.render_now(app.playback.now).renderables[1])
            assert app.playback.now.title == "Cached t4"  # the metadata kept with it
            # Played from the cache: nothing resolved, no stream URL to keep alive.
            owners = [lease.owner for lease in app.playback.session.book.values()
                      if lease.kind is LeaseKind.STREAM_URL]
            assert "Cached t4" not in owners and not any("t4" in o for o in owners)
