"""The composition root: builds the player, resolver, session and UI from the config and
the command line, and wires them together; tui/first_frame.py, the half of start-up that
comes before the first frame, starts the demo service and reads the queue. The only module
that knows every layer."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from tui.config.paths import covers_dir, history_file, media_cache_dir, playlists_dir, tokens_file
from tui.config.schema import (AnyService, CacheSection, Config, OAuth2ServiceSection,
                               ServiceSection)
from tui.control.server import ControlServer
from tui.core.bus import EventBus
from tui.core.errors import PlayerUnavailable
from tui.core.events import Level, LogEvent
from tui.core.player_events import PlayerEvent
from tui.core.ports import Player, Resolver
from tui.desktop.mpris_switch import MprisSwitch
from tui.first_frame import Begun, begin
from tui.libmpv import LIBMPV_MISSING
from tui.runtime_config import (ConfigHost, refresh_rule, retry_budget, retry_policy,
                                ytdlp_fallbacks, ytdlp_options)
from tui.session.cache import CacheTee, MediaCache
from tui.session.playback import Playback, PlaybackSettings
from tui.session.proxy import StreamProxy
from tui.session.services import PasswordSource
from tui.session.store import History, Playlists, RunTokenStore, TokenStore
from tui.session.streams import SessionManager
from tui.ui.app import YtplayApp
from tui.ui.starting import Background, Looks, Started, frames_drawn

if TYPE_CHECKING:
    from tui.demo.service import DemoService

def make_player(ao: str | None, video: bool, extra: dict[str, str] | None = None):
    try:
        from tui.adapters.mpv_player import MpvPlayer
    except (OSError, ImportError) as e:
        raise PlayerUnavailable(LIBMPV_MISSING.format(detail=str(e).split(".")[0])) from None
    try:
        return MpvPlayer(ao=ao, video=video, extra_options=extra)
    except Exception as e:  # libmpv refused an option or could not initialise
        raise PlayerUnavailable(f"libmpv would not start: {e}") from None


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
    upstreams (proxy.UpstreamProvider), the manager asks the proxy for local URLs
    (proxy.Relay); the proxy imports nothing of the manager, and the manager only the
    proxy's ports. With a media cache, the proxy keeps what it relays there and answers
    from it (the tee asks the manager which item a stream plays)."""
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

    from tui.session.services import OAuth2Client, TokenSet, device_login
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
        # refresh later.
        await frames_drawn(self._app(), 2)
        return await self.service.start()

    def stop(self) -> None:
        if self._service is not None:
            self._service.stop()


class PlayAtStart:
    """Plays the queue item `index`, as the app would at its start (`play_index`), unless
    the person chose what plays first: keys pressed on the first frame (n, space, ⏎) are
    applied before this runs, and are not taken back."""

    def __init__(self, playback: Playback, index: int) -> None:
        self.playback = playback
        self.index = index
        self._ticket = playback.target.ticket  # bumps whenever what should play changes

    async def start(self) -> bool:
        if self.index < len(self.playback.queue) and self.playback.target.ticket == self._ticket:
            self.playback.play(self.index)
        return True

    def stop(self) -> None:
        pass


def build(args: argparse.Namespace, config: Config, config_path: Path,
          resources: ExitStack, demo: DemoService | None = None) -> YtplayApp:
    """Everything `ytplay` runs, in one go, with each resource's shutdown pushed onto
    `resources` (the tests' and tools' way; `ytplay` itself draws the first frame before
    `build_rest`). Command-line options win over the config file. `demo`: a demo service
    already running (for tools that steer it); with --demo and none given, one is started."""
    if config.ui.cover != "off":
        from tui.ui import graphics

        graphics.prepare()  # asks the terminal what it can draw while the rest is built
    begun = begin(args, Looks.of(config), resources, demo)
    made: list[YtplayApp] = []
    started = build_rest(begun, args, config, config_path, resources, lambda: made[0])
    started.at_start()
    if config.ui.cover != "off":
        from tui.ui import graphics

        graphics.settle()  # before the app takes the terminal
    made.append(YtplayApp(started.playback, config=started.config,
                          background=started.background, notices=started.notices,
                          covers=started.covers, downloads=started.downloads))
    return made[0]


def build_rest(begun: Begun, args: argparse.Namespace, config: Config, config_path: Path,
               resources: ExitStack, the_app: Callable[[], YtplayApp]) -> Started:
    """Start-up's second half: the player, resolver, session, services and background work
    for the queue `begun` read, each resource's shutdown pushed onto `resources`. Loop-free:
    `ytplay` runs it on a thread once the first frame is drawn. `the_app`: the app these
    parts run in (services ask it for passwords), called once it runs."""
    from tui.adapters.tags import MutagenTagReader
    from tui.adapters.ytdlp_resolver import YtDlpResolver

    pb = config.playback
    video = args.video or pb.video
    ao = args.ao or (None if pb.audio_output == "auto" else pb.audio_output)
    device = args.audio_device or (None if pb.audio_device == "auto" else pb.audio_device)
    extra = {k: str(v) for k, v in config.mpv.items()}
    if device:
        extra["audio_device"] = device
    player = DeferredPlayer(partial(make_player, ao, video, extra or None))
    resources.callback(player.close)
    player.set_volume(pb.volume)
    tags = MutagenTagReader()  # mutagen itself is imported on the first file
    resolver = YtDlpResolver(video=video, options=ytdlp_options(config), tags=tags,
                             fallbacks=ytdlp_fallbacks(config))
    resources.callback(resolver.close)
    tokens = TokenStore(tokens_file())
    notices = begun.notices + tokens.check()  # what was set aside or skipped, for the UI
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
    def add_services(services: list[AnyService]) -> None:
        add_configured_services(session, services, the_app)
    add_services(config.services)

    queue = begun.frame.queue
    if begun.demo is not None:
        service = begun.demo
        opts = service.options

        async def demo_password() -> str:
            return opts.password
        # The demo is a new service every run: its tokens are not kept across runs.
        session.add_service("demo", service.base_url, client_id=opts.client_id,
                            username=opts.username, password=demo_password,
                            token_store=RunTokenStore())
        playback = Playback(player, session, queue, settings=settings,
                            playlists=Playlists(playlists_dir()), tags=tags)
    else:
        playback = Playback(player, session, queue, settings=settings, store=begun.store,
                            resume_position=begun.position,
                            playlists=Playlists(playlists_dir()),
                            history=History(history_file()), tags=tags)
    # What the command line adds (the playlists read in the first half), added on the loop
    # once the app drives the playback.
    refs = list(args.refs)

    def add_to_queue() -> None:
        playback.edits.add_items(begun.added)
        playback.edits.add(refs)
    from tui.session.covers import CoverStore

    covers = CoverStore(covers_dir(), session, tags)
    # MPRIS, on or off as [ui] mpris says, at start and when the file changes.
    mpris = MprisSwitch(playback, lambda: the_app().exit(), on=config.ui.mpris)
    host = ConfigHost(config_path, config, playback, resolver, add_services, mpris)
    background: list[Background] = [AfterFirstFrame(the_app, lambda: mpris)]
    # `ytplay ctl`'s socket: a third front end, driving the playback as the keys do.
    background.append(AfterFirstFrame(the_app, partial(ControlServer, playback)))
    background.append(AfterFirstFrame(the_app, partial(StartPlayer, player, the_app)))
    if cache is not None:
        from tui.session.marks import CacheMarks

        background.append(CacheMarks(playback, cache))
    downloads = None
    if cache is not None:
        from tui.session.downloads import Downloads

        downloads = Downloads(session, cache)  # pinned entries not complete go on at start
        background.append(downloads)
    from tui.session.marks import OfflineMarks

    background.append(OfflineMarks(playback))  # offline, what is not cached says so
    if begun.play_index is not None:
        play = PlayAtStart(playback, begun.play_index)  # now: before any key is applied
        background.append(AfterFirstFrame(the_app, lambda: play))
    return Started(playback, host, background, notices, covers.path, downloads, add_to_queue)
