"""The composition root: builds the demo service, player, resolver, session and UI from the
config and the command line, and wires them together. The only module that knows every
layer."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from tui.config.paths import (covers_dir, history_file, media_cache_dir, playlists_dir,
                              queue_file, tokens_file)
from tui.config.schema import (AnyService, CacheSection, Config, OAuth2ServiceSection,
                               ServiceSection)
from tui.core.bus import EventBus
from tui.core.errors import PlayerUnavailable
from tui.core.models import QueueItem
from tui.core.events import Level, LogEvent, PlayerEvent
from tui.core.ports import Player, Resolver
from tui.core.queue import Queue
from tui.runtime_config import (ConfigHost, refresh_rule, retry_budget, retry_policy,
                                ytdlp_fallbacks, ytdlp_options)
from tui.session.library_files import History, Playlists, read_m3u
from tui.session.cache_tee import CacheTee
from tui.session.manager import SessionManager
from tui.session.media_cache import MediaCache
from tui.session.playback import Playback
from tui.session.proxy import StreamProxy
from tui.session.queue_store import QueueStore
from tui.session.settings import PlaybackSettings
from tui.session.token_store import TokenStore
from tui.session.tokens import PasswordSource
from tui.ui.app import Background, YtplayApp

if TYPE_CHECKING:
    from tui.demo.service import DemoService

LIBMPV_MISSING = """\
ytplay needs libmpv, the library behind the mpv player, and could not load it ({detail}).
Install it from your system's packages — Debian/Ubuntu: sudo apt install libmpv2;
Fedora: sudo dnf install mpv-libs; Arch: sudo pacman -S mpv; macOS: brew install mpv —
then run ytplay again."""


def demo_options(args: argparse.Namespace):  # -> DemoOptions, imported lazily
    from tui.demo.options import DemoOptions

    knobs = {"token_ttl": args.demo_token_ttl, "url_ttl": args.demo_url_ttl,
             "stream_limit": args.demo_stream_limit, "fail_rate": args.demo_fail_rate,
             "latency": args.demo_latency, "drop_rate": args.demo_drop_rate,
             "media_rate": args.demo_media_rate,
             "clock_offset": args.demo_clock_offset, "segment_ttl": args.demo_segment_ttl}
    return dataclasses.replace(DemoOptions(port=args.demo_port),
                               **{k: v for k, v in knobs.items() if v is not None})


def make_player(ao: str | None, video: bool, extra: dict[str, str] | None = None):
    try:
        from tui.adapters.mpv_player import MpvPlayer
    except (OSError, ImportError) as e:
        raise PlayerUnavailable(LIBMPV_MISSING.format(detail=str(e).split(".")[0])) from None
    try:
        return MpvPlayer(ao=ao, video=video, extra_options=extra)
    except Exception as e:  # libmpv refused an option or could not initialise
        raise PlayerUnavailable(f"libmpv would not start: {e}") from None


def find_libmpv() -> None:
    """Raises PlayerUnavailable when libmpv is not installed, without loading it: the
    look-up python-mpv makes when it is imported."""
    import ctypes.util
    import importlib.util
    import os

    spec = importlib.util.find_spec("mpv")
    if spec is None or spec.origin is None:
        detail = "No module named 'mpv'"
    elif os.name == "nt":  # a DLL on %PATH%, or beside python-mpv
        beside = Path(spec.origin).parent
        names = ("mpv-2.dll", "libmpv-2.dll", "mpv-1.dll")
        if any(ctypes.util.find_library(n) or (beside / n).is_file() for n in names):
            return
        detail = "Cannot find mpv-1.dll, mpv-2.dll or libmpv-2.dll in your system %PATH%"
    elif ctypes.util.find_library("mpv") is None:
        detail = "Cannot find libmpv in the usual places"
    else:
        return
    raise PlayerUnavailable(LIBMPV_MISSING.format(detail=detail))


class DeferredPlayer:
    """The Player port, with libmpv loaded and started by `make` on first use: at the first
    command, or when `ready()` is called once the first frame is drawn. Loading libmpv takes
    ~100 ms that the first frame does not need. Until then it keeps the volume and the
    listener it is given, and has nothing to stop or close."""

    def __init__(self, make: Callable[[], Player]) -> None:
        self._make = make
        self._player: Player | None = None
        self._volume = 100.0
        self._listener: Callable[[PlayerEvent], None] = lambda _event: None

    def ready(self) -> Player:
        """The player, made now if it is not yet; raises PlayerUnavailable."""
        if self._player is None:
            player = self._make()
            player.set_volume(self._volume)
            player.set_listener(self._listener)
            self._player = player
        return self._player

    def __getattr__(self, name: str) -> Any:  # load, append_next, seek, …: libmpv's work
        return getattr(self.ready(), name)

    def set_listener(self, listener: Callable[[PlayerEvent], None]) -> None:
        self._listener = listener
        if self._player is not None:
            self._player.set_listener(listener)

    def set_volume(self, volume: float) -> None:
        self._volume = volume
        if self._player is not None:
            self._player.set_volume(volume)

    @property
    def volume(self) -> float:
        return self._volume if self._player is None else self._player.volume

    @property
    def position(self) -> float | None:
        return None if self._player is None else self._player.position

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()

    def close(self) -> None:
        if self._player is not None:
            self._player.close()


class StartPlayer:
    """Loads libmpv (`DeferredPlayer.ready`) as a background job; if it cannot start, ytplay
    ends with the reason and exit status 2, as it would have before the UI."""

    def __init__(self, player: DeferredPlayer, app: Callable[[], YtplayApp]) -> None:
        self.player = player
        self._app = app

    async def start(self) -> bool:
        try:
            self.player.ready()
        except PlayerUnavailable as e:
            from rich.text import Text

            self._app().exit(return_code=2, message=Text(f"ytplay: {e}"))
            return False
        return True

    def stop(self) -> None:
        pass


def make_session(resolver: Resolver, *, max_streams: int = 10,
                 cache: MediaCache | None = None, **options: object) -> SessionManager:
    """The session manager joined to its loopback proxy: the proxy asks the manager for
    upstreams (relay.UpstreamProvider), the manager asks the proxy for local URLs
    (relay.Relay), and neither module imports the other. With a media cache, the proxy
    keeps what it relays there and answers from it (the tee asks the manager which item
    a stream plays)."""
    session = SessionManager(resolver, **options)  # type: ignore[arg-type]
    proxy = StreamProxy(session, session.retrier, session.http, max_streams=max_streams)
    session.relay = proxy
    if cache is not None:
        session.cache = cache
        proxy.tee = CacheTee(cache, session.ref_of)
    return session


def make_media_cache(section: CacheSection, notify: Callable[[str], None]) -> MediaCache | None:
    """The media cache `[cache]` asks for (its folder is read once the app runs)."""
    if not section.enabled:
        return None
    root = Path(section.dir).expanduser() if section.dir else media_cache_dir()
    return MediaCache(root, section.max_bytes, notify=notify)


def add_configured_services(session: SessionManager, services: list[AnyService],
                            app: Callable[[], YtplayApp]) -> None:
    """Register `[[services]]`; a password comes from `password_env`, else the login dialog."""
    import os

    for svc in services:
        if isinstance(svc, OAuth2ServiceSection):
            add_oauth2_service(session, svc, app)
            continue
        def source(svc: ServiceSection = svc) -> PasswordSource:
            async def password() -> str | None:
                env = os.environ.get(svc.password_env) if svc.password_env else None
                return env or await app().ask_password(svc.name, svc.username)
            return password
        session.add_service(svc.name, svc.base_url, client_id=svc.client_id,
                            username=svc.username, password=source(),
                            media_origins=svc.media_origins)


def add_oauth2_service(session: SessionManager, svc: OAuth2ServiceSection,
                       app: Callable[[], YtplayApp]) -> None:
    """An OAuth2 service: secrets from the environment (never the file), the password or
    the device login through the app's dialogs."""
    import os

    from tui.session.device_login import device_login
    from tui.session.oauth2_client import OAuth2Client
    from tui.session.service_client import TokenSet
    from tui.ui.screens.device_login import run_device_login

    def env(name: str | None) -> str | None:
        return os.environ.get(name) or None if name else None

    async def password() -> str | None:
        return env(svc.password_env) or await app().ask_password(svc.name, svc.username or "")

    async def device(client: OAuth2Client, name: str) -> TokenSet:
        return await run_device_login(app(), name,
                                      lambda show: device_login(client, name, show))

    session.add_oauth2_service(
        svc.name, token_url=svc.token_url, client_id=svc.client_id,
        media_origins=svc.media_origins, grant=svc.grant,
        secret_env=svc.client_secret_env, scopes=svc.scopes,
        device_url=svc.device_url, username=svc.username or "", password=password,
        seed=lambda: env(svc.refresh_token_env), device=device)


class AfterFirstFrame:
    """A background service made and started once the app has drawn its first frame: what
    the first frame does not show must not hold it up (MPRIS and its D-Bus library; opening
    the first item, which loads yt-dlp and the HTTP stacks and makes the demo synthesize
    its media). Asked about itself before then (a test reading MPRIS's bus name), it is
    made at once."""

    def __init__(self, app: Callable[[], YtplayApp], make: Callable[[], Background]) -> None:
        self._app = app
        self._make = make
        self._service: Background | None = None

    @property
    def service(self) -> Background:
        if self._service is None:
            self._service = self._make()
        return self._service

    def __getattr__(self, name: str) -> object:
        return getattr(self.service, name)

    async def start(self) -> bool:
        # Two refreshes: the first frame, then the key bar, which Textual's Footer draws one
        # refresh later. (Not App.wait_for_refresh: it wants the app in a task of its own;
        # the app handles its messages once it runs, and calls this after its next refresh.)
        for _ in range(2):
            drawn = asyncio.Event()
            self._app().call_after_refresh(drawn.set)
            await drawn.wait()
        return await self.service.start()

    def stop(self) -> None:
        if self._service is not None:
            self._service.stop()


class PlayAtStart:
    """Plays the queue item `index`, as the app would at its start (`play_index`)."""

    def __init__(self, playback: Playback, index: int) -> None:
        self.playback = playback
        self.index = index

    async def start(self) -> bool:
        if self.index < len(self.playback.queue):
            self.playback.play(self.index)
        return True

    def stop(self) -> None:
        pass


def build(args: argparse.Namespace, config: Config, config_path: Path,
          resources: ExitStack, demo: "DemoService | None" = None) -> YtplayApp:
    """Everything `ytplay` runs, with each resource's shutdown pushed onto `resources`.
    Command-line options win over the config file. `demo`: a demo service already running
    (for tools that steer it); with --demo and none given, one is started."""
    from tui.adapters.tags import MutagenTagReader
    from tui.adapters.ytdlp_resolver import YtDlpResolver

    if config.ui.cover != "off":
        from tui.ui import graphics

        graphics.prepare()  # asks the terminal what it can draw while the rest is built
    pb = config.playback
    video = args.video or pb.video
    ao = args.ao or (None if pb.audio_output == "auto" else pb.audio_output)
    device = args.audio_device or (None if pb.audio_device == "auto" else pb.audio_device)
    extra = {k: str(v) for k, v in config.mpv.items()}
    if device:
        extra["audio_device"] = device
    find_libmpv()  # missing: said before the UI; loaded once the first frame is drawn
    player = DeferredPlayer(partial(make_player, ao, video, extra or None))
    resources.callback(player.close)
    player.set_volume(pb.volume)
    tags = MutagenTagReader()  # mutagen itself is imported on the first file
    resolver = YtDlpResolver(video=video, options=ytdlp_options(config), tags=tags,
                             fallbacks=ytdlp_fallbacks(config))
    resources.callback(resolver.close)
    tokens = TokenStore(tokens_file())
    notices = tokens.check()  # what was set aside or skipped, shown once the UI is up
    bus = EventBus()
    cache = make_media_cache(config.cache, lambda text: bus.publish(LogEvent(Level.WARNING, text)))
    if cache is not None:
        resources.callback(cache.close)
    session = make_session(resolver, token_store=tokens, cache=cache, bus=bus,
                           policy=retry_policy(config), rule=refresh_rule(config),
                           budget=retry_budget(config))
    # --offline: only what is cached plays; nothing is asked of the network.
    session.connectivity.forced = getattr(args, "offline", False)
    settings = PlaybackSettings(resume_threshold=pb.resume_threshold,
                                resolve_ahead=pb.resolve_ahead, gapless=pb.gapless)
    built: list[YtplayApp] = []

    def add_services(services: list[AnyService]) -> None:
        add_configured_services(session, services, lambda: built[0])
    add_services(config.services)

    if args.demo:
        from tui.demo.catalog import LIVE_ID, LIVE_TITLE, LIVE_TRACK, TRACKS
        from tui.demo.service import DemoService

        service = demo
        if service is None:
            service = DemoService(demo_options(args)).start()
            resources.callback(service.stop)
        opts = service.options

        async def demo_password() -> str:
            return opts.password
        demo_tokens = TokenStore(tokens_file().with_name("demo-tokens.json"))
        notices += demo_tokens.check()
        session.add_service("demo", service.base_url, client_id=opts.client_id,
                            username=opts.username, password=demo_password,
                            token_store=demo_tokens)
        # The first half of the demo plays through the session protocol (tokens, playback
        # sessions, signed URLs), the second half through yt-dlp pages. The demo queue is
        # built afresh each run and never saved over the user's queue.
        half = len(TRACKS) // 2
        refs = [f"demo:{t.id}" if i < half else service.watch_url(t.id)
                for i, t in enumerate(TRACKS)]
        queue = Queue(QueueItem(ref=r, title=t.title, artist=t.artist,
                                duration=float(t.seconds)) for r, t in zip(refs, TRACKS))
        # Then HLS, its playlist and segment URLs expiring: a track and the live station.
        queue.extend([QueueItem(ref=service.hls_url(LIVE_TRACK.id), artist=LIVE_TRACK.artist,
                                title=f"{LIVE_TRACK.title} (HLS)",
                                duration=float(LIVE_TRACK.seconds)),
                      QueueItem(ref=service.hls_url(LIVE_ID), title=LIVE_TITLE,
                                artist=LIVE_TRACK.artist)])
        playback = Playback(player, session, queue, settings=settings,
                            playlists=Playlists(playlists_dir()), tags=tags)
        play_index: int | None = 0
    else:
        store = QueueStore(queue_file())
        queue, position = store.load()
        notices += store.notices
        playback = Playback(player, session, queue, settings=settings, store=store,
                            resume_position=position, playlists=Playlists(playlists_dir()),
                            history=History(history_file()), tags=tags)
        play_index = len(queue) if (args.refs or args.playlist) else None
    if args.playlist:
        playback.edits.open_playlist(args.playlist)
    for path in args.imports:
        playback.edits.add_items(e.item() for e in read_m3u(Path(path).expanduser()))
    playback.edits.add(args.refs)
    from tui.session.covers import CoverStore

    covers = CoverStore(covers_dir(), session, tags)
    host = ConfigHost(config_path, config, playback, resolver, add_services)
    background: list[Background] = []
    if config.ui.mpris:
        def mpris() -> Background:
            from tui.desktop.mpris import Mpris  # with dbus-fast, after the first frame

            return Mpris(playback, quit_app=lambda: built[0].exit())
        background.append(AfterFirstFrame(lambda: built[0], mpris))
    background.append(AfterFirstFrame(lambda: built[0],
                                      partial(StartPlayer, player, lambda: built[0])))
    if cache is not None:
        from tui.session.cache_marks import CacheMarks

        background.append(CacheMarks(playback, cache))
    downloads = None
    if cache is not None:
        from tui.session.downloads import Downloads

        downloads = Downloads(session, cache)  # pinned entries not complete go on at start
        background.append(downloads)
    from tui.session.offline_marks import OfflineMarks

    background.append(OfflineMarks(playback))  # offline, what is not cached says so
    if play_index is not None:
        background.append(AfterFirstFrame(lambda: built[0],
                                          partial(PlayAtStart, playback, play_index)))
    built.append(YtplayApp(playback, config=host, background=background, notices=notices,
                           covers=covers.path, downloads=downloads))
    if config.ui.cover != "off":
        from tui.ui import graphics

        graphics.settle()  # before the app takes the terminal
    return built[0]
