"""Every seek key counts, however the position is reported: libmpv reports it once a second,
and → typed in one chunk (a fast typist, a held key over ssh, a loaded machine) each add
their step on the target of the seek in flight. Real libmpv, a real local file, the app
built by the composition root."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.helpers import typed_at_once, until
from tests.media_files import tag_id3, wav
from tui import cli
from tui.core.nowplaying import PlayState
from tui.runtime_config import load_config

RIGHT, LEFT = "\x1b[C", "\x1b[D"


@pytest.mark.parametrize("paused", [False, True])
async def test_arrows_typed_in_one_chunk_each_seek_their_step(
        paused: bool, tmp_path: Path) -> None:
    song = tag_id3(wav(tmp_path / "song.wav", 120.0), title="Long Song")
    config_path = tmp_path / "config.toml"
    config_path.write_text('[ui]\nmpris = false\n')
    args = cli.parser().parse_args(["--ao", "null", str(song)])
    with ExitStack() as resources:
        from tui.factory import build

        app = build(args, load_config(config_path), config_path, resources)
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: app.playback is not None
                        and app.playback.now.state is PlayState.PLAYING, timeout=20)
            playback = app.playback
            player = playback.player
            if paused:
                await pilot.press("space")
                await until(pilot, lambda: playback.now.state is PlayState.PAUSED)
            start = player.position or 0.0
            typed_at_once(app, RIGHT * 4)
            await until(pilot, lambda: (playback.now.position or 0) >= start + 19)
            # libmpv itself lands there: four steps of 5 s, not one or two
            await until(pilot, lambda: player.position is not None
                        and abs(player.position - (start + 20)) < 1.5, timeout=10)
            typed_at_once(app, LEFT * 3)
            await until(pilot, lambda: player.position is not None
                        and abs(player.position - (start + 5)) < 1.5, timeout=10)
