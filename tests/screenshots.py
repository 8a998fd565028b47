"""`make screenshots`: ytplay on the demo service, at a fixed size, driven into a few states
a newcomer wants to see, saved as SVG (and PNG, with rsvg-convert) into screenshots/.

    python -m tests.screenshots [OUTPUT_DIR]
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from tests.helpers import until
from tui import cli
from tui.config.paths import config_file
from tui.core.events import SessionEvent
from tui.core.nowplaying import PlayState
from tui.demo.options import DemoOptions
from tui.demo.service import DemoService
from tui.factory import build
from tui.runtime_config import load_config
from tui.ui.screens.config_editor import ConfigEditor
from tui.ui.screens.help import HelpScreen

SIZE = (120, 36)


async def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    args = cli.parser().parse_args(["--demo", "--ao", "null"])
    shots: list[Path] = []
    with ExitStack() as resources:
        demo = resources.enter_context(DemoService(DemoOptions(port=0, url_ttl=8, seed=1)))
        app = build(args, load_config(config_file()), config_file(), resources, demo=demo)
        async with app.run_test(size=SIZE) as pilot:
            pb = app.playback
            events: list = []
            pb.bus.subscribe(lambda e: isinstance(e, SessionEvent) and events.append(e))

            def save(name: str) -> None:
                path = Path(app.save_screenshot(f"{name}.svg", str(out)))
                keep_spaces(path)
                shots.append(path)

            await until(pilot, timeout=30, cond=lambda: pb.now.state is PlayState.PLAYING
                         and (pb.now.position or 0) > 2)
            # A refresh ahead of expiry, then one that meets two 503s and retries.
            await until(pilot, timeout=30, cond=lambda: any(e.action == "refreshed" and e.resource.startswith(
                "stream URL") for e in events))
            demo.options.fail_next = 2
            await until(pilot, timeout=30, cond=lambda: any(e.action == "retrying" for e in events))
            await pilot.pause(0.3)
            save("playing-refresh-and-retry")

            await until(pilot, timeout=30, cond=lambda: not pb.now.status)
            await pilot.press("slash", *"the")
            await pilot.pause(0.2)
            save("queue-filter")
            await pilot.press("escape")

            await pilot.press("c")
            await until(pilot, timeout=30, cond=lambda: isinstance(app.screen, ConfigEditor))
            await pilot.pause(0.5)
            save("config-editor")
            await pilot.press("escape")

            await pilot.press("question_mark")
            await until(pilot, timeout=30, cond=lambda: isinstance(app.screen, HelpScreen))
            await pilot.pause(0.2)
            save("help")
    return shots


def keep_spaces(svg: Path) -> None:
    """Mark the SVG's text as preformatted (xml:space="preserve"). Rich writes each run of
    cells as one <text> whose spaces are no-break spaces, placed by `x` and `textLength`;
    librsvg (rsvg-convert) strips those spaces at the start and end of a run and ignores
    textLength, so "▶ playing   vol 100%" became "▶ playingvol 100%" in the PNG. With
    spaces preserved every renderer keeps them; browsers drew them all along."""
    text = svg.read_text("utf-8")
    if 'xml:space="preserve"' not in text:
        svg.write_text(text.replace("<svg ", '<svg xml:space="preserve" ', 1), "utf-8")


def to_png(svgs: list[Path]) -> list[Path]:
    tool = shutil.which("rsvg-convert")
    if tool is None:
        print("rsvg-convert not found (Debian: librsvg2-bin): SVGs only", file=sys.stderr)
        return []
    pngs = []
    for svg in svgs:
        png = svg.with_suffix(".png")
        subprocess.run([tool, "-o", str(png), str(svg)], check=True)
        pngs.append(png)
    return pngs


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots").resolve()
    # The developer's own config, queue, tokens and media cache stay out of the pictures and
    # untouched (a demo track cached by an earlier run plays with no stream URL to refresh).
    with tempfile.TemporaryDirectory() as home:
        import os

        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(Path(home) / var)
        os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        svgs = asyncio.run(shoot(out))
    for path in svgs + to_png(svgs):
        print(path)


if __name__ == "__main__":
    main()
