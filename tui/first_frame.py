"""Start-up's first half (docs/ARCHITECTURE.md, "Start-up"): what the first frame shows,
read before the app starts — the saved queue and where space resumes it, or the demo's
queue — and what must be said before the screen takes the terminal (no libmpv). It loads
nothing the first frame does not show; tui.factory builds the rest once that frame is
drawn."""

from __future__ import annotations

import argparse
import dataclasses
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from tui.config.paths import playlists_dir, queue_file
from tui.core.models import QueueItem
from tui.core.nowplaying import resting
from tui.core.queue import Queue
from tui.libmpv import find_libmpv
from tui.session.store import QueueStore
from tui.ui.panels import PANELS
from tui.ui.starting import FirstFrame, Looks

if TYPE_CHECKING:
    from tui.config.schema import Config
    from tui.demo.options import DemoOptions
    from tui.demo.service import DemoService

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    """What start-up needs of the config before the first frame: the screen's looks and
    the log. Read as the file has them, without its schema (tomllib alone: the schema and
    its checks wait for start-up's second half): a value that is missing or not of its kind is
    the default here, and the whole file is validated in start-up's second half, which
    ends ytplay with the reason when it is wrong."""

    looks: Looks = field(default_factory=Looks)
    log_file: str = ""
    log_level: str = "INFO"

    @classmethod
    def of(cls, config: Config) -> Settings:
        return cls(Looks.of(config), config.log.file, config.log.level.upper())

    @classmethod
    def read(cls, path: Path) -> Settings:
        import tomllib

        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # no file yet, unreadable, not UTF-8, not TOML
            return cls()
        ui, log, keys = (doc.get(k) if isinstance(doc.get(k), dict) else {}
                         for k in ("ui", "log", "keys"))
        default = Looks()
        panels = ui.get("panels")
        looks = Looks(
            theme=_text(ui.get("theme"), default.theme),
            panels=tuple(panels) if isinstance(panels, list) and set(panels) <= set(PANELS)
            else default.panels,
            cover=ui.get("cover") if ui.get("cover") in ("auto", "off") else default.cover,
            keys={k: v for k, v in keys.items() if isinstance(v, str)})
        level = _text(log.get("level"), "info").upper()
        return cls(looks, _text(log.get("file"), ""), level if level in LEVELS else "INFO")


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) else default


@dataclass
class Begun:
    """Start-up's first half done: the first frame, and what the second half builds on."""

    frame: FirstFrame
    store: QueueStore | None = None   # the queue's file; none for the demo's queue
    position: float = 0.0             # where space resumes the current item
    play_index: int | None = None     # the item to play once the app is up
    notices: list[str] = field(default_factory=list)  # what reading the queue file found
    demo: DemoService | None = None
    added: list[QueueItem] = field(default_factory=list)  # from --playlist and --import


def begin(args: argparse.Namespace, looks: Looks, resources: ExitStack,
          demo: DemoService | None = None, libmpv: Callable[[], None] = find_libmpv) -> Begun:
    """The first frame for this command line: the demo's queue with --demo (its service
    started, or `demo` when one runs already), else the queue saved last time. `libmpv`
    looks for libmpv (`tui.libmpv.Lookup.wait`: the look-up started earlier). Raises
    PlayerUnavailable when libmpv is missing, YtplayError or OSError when a playlist on
    the command line cannot be read (said before the screen, like libmpv's absence)."""
    libmpv()  # loaded once the first frame is drawn; missing, said before the screen
    added: list[QueueItem] = []
    if args.playlist or args.imports:  # (the playlists' readers load only for them)
        from tui.session.store import Playlists, read_m3u, read_playlist

        added = read_playlist(args.playlist, Playlists(playlists_dir())) if args.playlist else []
        for path in args.imports:
            added += [e.item() for e in read_m3u(Path(path).expanduser())]
    if args.demo:
        begun = _demo_queue(args, looks, resources, demo)
    else:
        store = QueueStore(queue_file())
        queue, position = store.load()
        play_index = len(queue) if (args.refs or args.playlist) else None
        begun = Begun(FirstFrame(queue, resting(queue, position), looks), store, position,
                      play_index, store.notices)
    begun.added = added
    return begun


def _demo_queue(args: argparse.Namespace, looks: Looks, resources: ExitStack,
                service: DemoService | None) -> Begun:
    """The demo's tracks: the first half through the session protocol (tokens, playback
    sessions, signed URLs), the second through yt-dlp pages, then HLS (its playlist and
    segment URLs expiring): a track and the live station. Built afresh each run and never
    saved over the person's queue."""
    from tui.demo.catalog import LIVE_ID, LIVE_TITLE, LIVE_TRACK, TRACKS
    from tui.demo.service import DemoService

    if service is None:
        service = DemoService(demo_options(args)).start()
        resources.callback(service.stop)
    half = len(TRACKS) // 2
    refs = [f"demo:{t.id}" if i < half else service.watch_url(t.id)
            for i, t in enumerate(TRACKS)]
    queue = Queue(QueueItem(ref=r, title=t.title, artist=t.artist, duration=float(t.seconds))
                  for r, t in zip(refs, TRACKS))
    queue.extend([QueueItem(ref=service.hls_url(LIVE_TRACK.id), artist=LIVE_TRACK.artist,
                            title=f"{LIVE_TRACK.title} (HLS)",
                            duration=float(LIVE_TRACK.seconds)),
                  QueueItem(ref=service.hls_url(LIVE_ID), title=LIVE_TITLE,
                            artist=LIVE_TRACK.artist)])
    return Begun(FirstFrame(queue, resting(queue, 0.0), looks), play_index=0, demo=service)


def demo_options(args: argparse.Namespace) -> DemoOptions:
    from tui.demo.options import DemoOptions

    knobs = {"token_ttl": args.demo_token_ttl, "url_ttl": args.demo_url_ttl,
             "stream_limit": args.demo_stream_limit, "fail_rate": args.demo_fail_rate,
             "latency": args.demo_latency, "drop_rate": args.demo_drop_rate,
             "media_rate": args.demo_media_rate,
             "clock_offset": args.demo_clock_offset, "segment_ttl": args.demo_segment_ttl}
    return dataclasses.replace(DemoOptions(port=args.demo_port),
                               **{k: v for k, v in knobs.items() if v is not None})
