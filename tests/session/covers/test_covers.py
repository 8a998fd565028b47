"""Cover art in Now Playing: the demo service's image (bearer auth), yt-dlp's thumbnail (the
watch page's og:image), a local file's embedded picture; fetched once and kept on disk;
shown where there is room, hidden at 80×24 and by `[ui] cover = "off"`."""

from __future__ import annotations

import io
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.helpers import Recorder, until
from tests.media_files import png, tag_id3, wav
from tui import cli
from tui.core.nowplaying import PlayState
from tui.demo.art import cover_png
from tui.demo.catalog import BY_ID
from tui.demo.service import DemoService
from tui.runtime_config import load_config
from tui.session.covers._cover_store import CoverStore, image_type
from tui.session.playback import Playback
from tui.ui.app import YtplayApp
from tui.ui.widgets.cover import CoverArt
from tui.ui.widgets.now_playing import NowPlayingPanel

RGB = (10, 120, 200)


def add_demo(session, demo: DemoService) -> None:
    async def password() -> str:
        return demo.options.password
    session.add_service("demo", demo.base_url, client_id=demo.options.client_id,
                        username=demo.options.username, password=password)


def shown(app: YtplayApp) -> CoverArt | None:
    """The cover widget, when it shows a picture."""
    cover = app.query_one(NowPlayingPanel).query_one(CoverArt)
    return cover if cover.display and cover.picture is not None else None


def colour(cover: CoverArt) -> tuple[int, int, int]:
    return cover.picture.getpixel((cover.picture.width // 2, 1))


async def test_the_demo_covers_are_fetched_once_and_kept_on_disk(
        demo: DemoService, player, session, tmp_path: Path) -> None:
    add_demo(session, demo)
    pb = Playback(player, session)
    pb.queue.add(["demo:t1", demo.watch_url("t4")])
    folder = tmp_path / "covers"
    store = CoverStore(folder, session)
    app = YtplayApp(pb, covers=store.path)
    counts = demo.state.counts
    async with app.run_test(size=(120, 36)) as pilot:
        tap = Recorder(pb.bus)
        for index, media_id in ((0, "t1"), (1, "t4"), (0, "t1")):
            pb.play(index)
            await tap.wait_for(lambda: tap.now.index == index
                               and tap.now.state is PlayState.PLAYING)
            expected = cover_png(BY_ID[media_id])
            await until(pilot, lambda: shown(app) is not None
                        and shown(app).picture.tobytes() == _decoded(expected))
        # The service item's image came with the bearer (the demo refuses it without);
        # the page's og:image is public. Each once, though t1 played twice.
        assert pb.queue[0].cover == f"{demo.base_url}/api/v1/media/t1/cover"
        assert pb.queue[1].cover == f"{demo.base_url}/art/t4.png"
        assert (counts["cover"], counts["art"]) == (1, 1)
    # The next run finds them on disk: no request at all.
    again = CoverStore(folder, session)
    for item in pb.queue:
        path = await again.path(item.cover)
        assert path is not None and path.parent == folder and image_type(path.read_bytes())
    assert (counts["cover"], counts["art"], again.fetches) == (1, 1, 0)
    assert (folder / (await again.path(pb.queue[0].cover)).name).read_bytes() == \
        cover_png(BY_ID["t1"])


def _decoded(data: bytes):
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


async def test_a_bearer_goes_only_to_the_service_origin(demo: DemoService, session,
                                                        tmp_path: Path) -> None:
    add_demo(session, demo)
    store = CoverStore(tmp_path / "covers", session)
    tokens = session.services["demo"].tokens
    # Not signed in: no login just for a picture, and no picture.
    assert await store.path(f"{demo.base_url}/api/v1/media/t2/cover") is None
    assert tokens.grants == 0 and demo.state.counts["cover"] == 0
    await tokens.token()  # signed in (as playing one of its items would)
    assert await CoverStore(tmp_path / "covers", session).path(
        f"{demo.base_url}/api/v1/media/t2/cover") is not None
    seen: list[httpx.Request] = []

    def elsewhere(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=png(rgb=RGB))
    await session.http.aclose()
    session.http = httpx.AsyncClient(transport=httpx.MockTransport(elsewhere))
    path = await store.path("https://images.example/cover.png")
    assert path is not None and seen and "authorization" not in seen[0].headers
    # Not an image (an error page served as 200): no cover, and it is not kept.
    await session.http.aclose()
    session.http = httpx.AsyncClient(transport=httpx.MockTransport(
        lambda r: httpx.Response(200, text="<html>nope</html>")))
    assert await store.path("https://images.example/page.png") is None
    assert len(list((tmp_path / "covers").glob("*.png"))) == 2


@pytest.mark.parametrize("mode", ["auto", "off"])
async def test_a_local_files_embedded_cover_shows_where_there_is_room(
        mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the composition root: the file on the command line, the config's [ui]."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    song = tag_id3(wav(tmp_path / "song.wav", 20.0), title="Harbour", artist="Test Band",
                   cover=png(16, 16, RGB))
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'[ui]\ncover = "{mode}"\nmpris = false\n')
    args = cli.parser().parse_args(["--ao", "null", str(song)])
    with ExitStack() as resources:
        from tui.factory import build

        app = build(args, load_config(config_path), config_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            cover = app.query_one(CoverArt)
            if mode == "off":  # not even read: the picture is not held, nor what draws it
                await until(pilot, lambda: app.query_one(NowPlayingPanel).now.title
                            == "Harbour", timeout=15)
                assert not [w for w in app.workers if w.group == "cover"]
                assert cover.picture is None and not cover.display and shown(app) is None
                return
            await until(pilot, lambda: cover.picture is not None, timeout=15)
            assert app.query_one(NowPlayingPanel).now.title == "Harbour"
            await until(pilot, lambda: shown(app) is not None)
            assert colour(cover) == RGB
            assert list(cover.query(".cover-image"))  # textual-image's widget draws it
            assert cover.region.width >= 8 and cover.region.height == 4
            await pilot.resize_terminal(80, 24)
            await until(pilot, lambda: shown(app) is None)        # no room: hidden
            await pilot.resize_terminal(140, 40)
            await until(pilot, lambda: shown(app) is not None)
            app.query_one(NowPlayingPanel).cover_mode = "off"     # as a config reload sets it
            await until(pilot, lambda: shown(app) is None)
