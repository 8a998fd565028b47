"""Start-up in two halves (docs/ARCHITECTURE.md, "Start-up"). The first frame is drawn from
what a person sees first: the saved queue, where space resumes it, the screen's settings.
The rest — the session and its services, the config's full validation, libmpv — is built on
a thread once that frame is drawn, and handed to the app as `Started`. Keys pressed
meanwhile wait for it and are applied in order."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Protocol

from tui.core.nowplaying import NowPlaying
from tui.core.queue import Queue

from .panels import PANELS

if TYPE_CHECKING:
    from textual.app import App

    from tui.config.schema import Config
    from tui.session.downloads import Downloads
    from tui.session.playback import Playback

    from .config_host import ConfigHost
    from .widgets.cover import CoverFetch


class Background(Protocol):
    """Something that runs beside the UI for as long as the app does (MPRIS)."""

    async def start(self) -> bool: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class Looks:
    """The config's settings the screen is drawn with: the theme, the panels, the cover and
    the keys."""

    theme: str = "textual-dark"
    panels: tuple[str, ...] = PANELS
    cover: str = "auto"
    keys: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Config) -> Looks:
        return cls(theme=config.ui.theme, panels=tuple(config.ui.panels),
                   cover=config.ui.cover, keys=dict(config.keys))


@dataclass
class FirstFrame:
    """What the first frame shows. `queue` is the very queue the playback gets later."""

    queue: Queue
    now: NowPlaying
    looks: Looks = field(default_factory=Looks)


@dataclass
class Started:
    """What the app drives once start-up is done.
    `config`: where the config comes from; without it, nothing is edited or watched.
    `notices`: what start-up found wrong with saved files (set aside, entries skipped).
    `covers`: finds a cover's image file (the session's cover store) for Now Playing.
    `downloads`: keeps items for listening offline (none without a media cache).
    `at_start`: run on the loop before anything else (what the command line queues)."""

    playback: Playback
    config: ConfigHost | None = None
    background: list[Background] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    covers: CoverFetch | None = None
    downloads: Downloads | None = None
    at_start: Callable[[], None] = lambda: None


class SecondHalf:
    """Start-up's second half on a thread of its own, what it returns (or raises) handed
    back to the loop."""

    def __init__(self, build: Callable[[], Started]) -> None:
        self._build = build
        self._thread: threading.Thread | None = None

    async def run(self) -> Started:
        """Build on the thread; raises what building raised (CannotStart: what the person
        must fix)."""
        loop = asyncio.get_running_loop()
        built: asyncio.Future[Started] = loop.create_future()

        def settle(result: Started | None, error: BaseException | None) -> None:
            if built.done():
                return
            if error is not None:
                built.set_exception(error)
            else:
                built.set_result(result)  # type: ignore[arg-type]

        def build() -> None:
            result, error = None, None
            try:
                result = self._build()
            except BaseException as e:  # handed to the loop, which says what it was
                error = e
            try:
                loop.call_soon_threadsafe(settle, result, error)
            except RuntimeError:  # the app ended meanwhile; what was built is closed by
                pass              # whoever holds its resources, after `join`
        self._thread = threading.Thread(target=build, name="start-up")
        self._thread.start()
        return await built

    def join(self) -> None:
        """Wait for the thread to end (when the app ended before it did)."""
        if self._thread is not None:
            self._thread.join()


class CannotStart(Exception):
    """Start-up's second half met something the person must fix; the message says what
    and how, in one paragraph (ytplay ends with it and exit status 2)."""


async def frames_drawn(app: App[object], frames: int) -> None:
    """Once `app` has drawn `frames` more frames. (Not App.wait_for_refresh: it wants the app
    in a task of its own.)"""
    for _ in range(frames):
        drawn = asyncio.Event()
        app.call_after_refresh(drawn.set)
        await drawn.wait()
