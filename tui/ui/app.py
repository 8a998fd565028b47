"""The ytplay Textual app: it composes the screen, declares the keys and owns the lifetime
of what runs beside it. It is handed a ready `Playback` by the composition root — at once,
or once the first frame is drawn (tui/ui/starting.py) — and never builds players, resolvers
or services itself. What the keys ask of the session is tui/ui/controls.py's; what the
session reports is shown by tui/ui/session_view.py."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Callable, Iterable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input

from tui.core.events import Level, LogEvent
from tui.core.queue import Queue

from . import graphics, messages
from .controls import Controls
from .keys import APP_ACTIONS, APP_KEYS, remapped
from .library_dialogs import LibraryDialogs
from .live_config import LiveConfig
from .panels import toggled
from .session_view import SessionView
from .starting import (Background, CannotStart, FirstFrame, Looks, SecondHalf, Started,
                       frames_drawn)
from .widgets.cover import CoverArt, CoverFetch
from .widgets.filter_bar import FilterBar
from .widgets.logs_pane import LogsPane, load_event_log
from .widgets.now_playing import NowPlayingPanel
from .widgets.queue_view import QueueView
from .widgets.session_panel import SessionPanel

if TYPE_CHECKING:
    from tui.config.schema import Config
    from tui.session.downloads import Downloads
    from tui.session.playback import Playback

    from .config_host import ConfigHost


class YtplayApp(App[None]):
    TITLE = "ytplay"
    CSS_PATH = "app.tcss"
    # The screen gets one class of each pair, which app.tcss lays out by: 80×24 (the size
    # most terminals open at) is -narrow -short; 140×40 is -wide -tall.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = APP_KEYS

    class ConfigApplied(Message):
        """A new config is in force (from the editor or from the file changing)."""

        def __init__(self, notes: list[str]) -> None:
            super().__init__()
            self.notes = notes

    class ConfigRejected(Message):
        """The file changed on disk but does not validate; the running config stays."""

    def __init__(self, playback: Playback | None = None, *, play_index: int | None = None,
                 config: ConfigHost | None = None,
                 background: Iterable[Background] = (), notices: Iterable[str] = (),
                 covers: CoverFetch | None = None, downloads: Downloads | None = None,
                 first: FirstFrame | None = None) -> None:
        """An app with its session ready (`playback`; the rest as `Started` says), or, with
        `first` alone, one that draws that first and is handed the session by `starting`.
        `play_index`: the queue item to start playing once the UI is up, if any."""
        super().__init__()
        if playback is not None:
            first = FirstFrame(playback.queue, playback.now)
        assert first is not None, "an app needs a playback or a first frame"
        self.first = first
        self.queue: Queue = first.queue
        self.controls = Controls(self, self.queue)
        self.view = SessionView(self)
        self.play_index = play_index
        self.playback: Playback | None = None
        self.config_host: ConfigHost | None = None
        self.live_config: LiveConfig | None = None
        self.background: list[Background] = []
        self.downloads: Downloads | None = None
        self.notices: list[str] = []
        # With the session ready there is no first frame to hurry: the event log at once.
        self._event_log = load_event_log() if playback is not None else None
        if playback is not None:
            self._adopt(Started(playback, config, list(background), list(notices), covers,
                                downloads))
        self.panels: tuple[str, ...] = first.looks.panels
        self._second_half: SecondHalf | None = None
        self._panels_wanted: tuple[str, ...] | None = None  # to write into the config
        self.keymap: dict[str, str] = {}  # `[keys]`: action id -> the keys it is bound to
        self._unsubscribe: Callable[[], None] = lambda: None

    @classmethod
    def starting(cls, first: FirstFrame, start: Callable[[], Started]) -> YtplayApp:
        """An app that draws `first`, then runs `start` on a thread and drives what it
        returns. `start` raises CannotStart for what the person must fix."""
        app = cls(first=first)
        app._second_half = SecondHalf(start)
        return app

    def compose(self) -> ComposeResult:
        yield NowPlayingPanel(self.view.cover, id="now-playing")
        with Horizontal(id="main"):
            with Vertical(id="queue-column"):
                yield QueueView(lambda: self.queue, self.controls.queue_edit, id="queue")
                yield FilterBar(self._leave_filter, id="filter")
            with Vertical(id="side"):
                yield SessionPanel(self.view.leases, id="session")
                yield LogsPane(self._event_log, id="logs")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QueueView).focus()
        for key in graphics.keys_typed():  # typed as ytplay was launched, read with the
            self.post_message(key)         # terminal's answers to what it draws
        self.query_one(NowPlayingPanel).now = self.first.now
        if self.playback is not None:
            self._attach()
        else:
            self._apply_looks(self.first.looks)
            self._start_up()

    @work(group="start-up")
    async def _start_up(self) -> None:
        """Start-up's second half, on a thread once the first frame (and the key bar, one
        refresh later) is drawn; then the app drives what it built."""
        assert self._second_half is not None
        await frames_drawn(self, 2)
        try:
            started = await self._second_half.run()
        except CannotStart as e:
            from rich.text import Text

            self.exit(return_code=2, message=Text(f"ytplay: {e}"))
            return
        event_log = await asyncio.to_thread(load_event_log)
        self._adopt(started)
        for logs in self.query(LogsPane):
            logs.take_event_log(event_log)
        started.at_start()
        self._attach()

    def join_start_up(self) -> None:
        """Wait for start-up's second half to end (when the app ended before it did)."""
        if self._second_half is not None:
            self._second_half.join()

    def _adopt(self, started: Started) -> None:
        self.controls.adopt(started.playback, LibraryDialogs(
            self, started.playback, started.downloads, self.view.toast))
        self.view.adopt(started.playback, started.covers)
        self.playback = started.playback
        self.config_host = started.config
        self.background = started.background
        self.notices = started.notices
        self.downloads = started.downloads

    def _attach(self) -> None:
        """Drive the session adopted: its events shown, the config applied and watched,
        background services started, keys pressed meanwhile applied."""
        playback = self.playback
        assert playback is not None
        self._unsubscribe = self.view.follow()
        for text in self.notices:  # in the event log and as a toast: the log panel may be off
            playback.bus.publish(LogEvent(Level.WARNING, text))
            self.view.toast(text, "warning", timeout=15)
        playback.attach()
        for cover in self.query(CoverArt):
            cover.reload()  # the store that finds covers is here now
        if self.config_host is not None:
            live = self.live_config = LiveConfig(
                self.config_host, lambda config, panels: self._apply_looks(Looks.of(config),
                                                                           panels),
                self.view.note, lambda notes: self.post_message(self.ConfigApplied(notes)),
                lambda: self.post_message(self.ConfigRejected()))
            # A panel key pressed before this is newer than the file.
            self._apply_looks(Looks.of(live.config), panels=self._panels_wanted is None)
            if self._panels_wanted is not None:
                self._remember_panels()
            # After the first frame: the file watch need not delay it.
            self.call_after_refresh(self._watch_config, live)
        for service in self.background:
            self._start_background(service)
        if self.play_index is not None and self.play_index < len(playback.queue):
            playback.play(self.play_index)
        self.controls.apply_pending()

    @work(group="background")
    async def _start_background(self, service: Background) -> None:
        await service.start()

    async def on_unmount(self) -> None:
        for service in self.background:
            service.stop()
        self._unsubscribe()
        if self.playback is not None:
            await self.playback.aclose()

    @on(messages.SessionNews)
    def _show(self, message: messages.SessionNews) -> None:
        """What the session said, posted from its events (SessionView.follow): drawn."""
        self.view.show(message)

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar):
            self.query_one(QueueView).set_filter(event.value)

    def _leave_filter(self) -> None:
        """Back from the filter to the list, at once: the keys typed right after act on the
        list as the filter leaves it."""
        queue = self.query_one(QueueView)
        queue.set_filter(self.query_one(FilterBar).value)
        self.screen.set_focus(queue)

    def action_clear_filter(self) -> None:
        self.query_one(FilterBar).action_clear_filter()

    def on_descendant_blur(self, event: object) -> None:
        # A query, not query_one: a blur comes as the app ends, its screen already gone.
        for bar in self.query(FilterBar):
            if bar.display and not bar.value and not bar.has_focus:
                bar.display = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # ←/→ seek everywhere (priority), except in a text field, where they move the caret.
        if action == "seek":
            return not self._typing()
        # The app's other keys (all priority, tui/ui/keys.py): on the main screen, not in its
        # filter; not over a dialog or in the config editor, as when they were not priority.
        # Escape in the list only while a filter is set.
        if action in APP_ACTIONS:
            return len(self.screen_stack) == 1 and not self._typing() and (
                action != "clear_filter" or any(bar.value for bar in self.query(FilterBar)))
        return True

    def _typing(self) -> bool:
        """Whether the focus is in a text field: the filter, a dialog's, the config editor."""
        # TextArea is loaded only with the config editor (tree-sitter with it, ~5 ms).
        text_area = sys.modules.get("textual.widgets._text_area")
        return isinstance(self.focused, Input) or (
            text_area is not None and isinstance(self.focused, text_area.TextArea))

    @classmethod
    def all_bindings(cls) -> list[Binding]:
        """Every declared binding: the app's and the queue's (for help, keys, README); a
        binding declared twice (escape clears the filter from the list and from the field)
        once."""
        seen: set[str | None] = set()
        found: list[Binding] = []
        for b in (*cls.BINDINGS, *QueueView.BINDINGS, *FilterBar.BINDINGS):
            if isinstance(b, Binding) and (b.id is None or b.id not in seen):
                seen.add(b.id)
                found.append(b)
        return found

    async def ask_password(self, service: str, username: str) -> str | None:
        """Ask the user for a service's password (None if they cancel)."""
        from .screens.login import LoginScreen

        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self.push_screen(LoginScreen(service, username),
                         lambda value: answer.done() or answer.set_result(value))
        return await answer

    # --- config -------------------------------------------------------------------------------

    def _apply_looks(self, looks: Looks, panels: bool = True) -> None:
        """Theme, panels, cover and keys, which the UI owns. `panels`: False when the config
        was just written with the panels shown now; a key pressed meanwhile is newer. A
        theme or a key the config's validation refuses never gets here, except on the first
        frame (drawn from the file unvalidated, which the second half then refuses)."""
        if looks.theme in self.available_themes:
            self.theme = looks.theme
        if panels:
            self._show_panels(looks.panels)
        for now_playing in self.query(NowPlayingPanel):
            now_playing.cover_mode = looks.cover
        self.keymap = dict(looks.keys)
        self.set_keymap(self.keymap)

    @work(exclusive=True, group="config-watch")
    async def _watch_config(self, live: LiveConfig) -> None:
        await live.watch()

    def action_edit_config(self) -> None:
        self.controls.when_started(self._edit_config)

    def _edit_config(self) -> None:
        # Imported here: its TextArea brings tree-sitter, which the first frame never needs.
        from .screens.config_editor import ConfigEditor

        live = self.live_config
        if live is None or isinstance(self.screen, ConfigEditor):
            return

        def saved(config: Config | None) -> None:
            if config is not None and config != live.config:
                live.apply(config)
        self.push_screen(ConfigEditor(live.host), saved)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # Every key's action, findable by name (with its key shown) in the palette.
        from .screens.help import key_label

        queue = self.query_one(QueueView)
        on_queue = {b.id for b in QueueView.BINDINGS}
        in_filter = {b.id for b in FilterBar.BINDINGS} - {b.id for b in self.BINDINGS
                                                         if isinstance(b, Binding)}
        for b in remapped(self.all_bindings(), self.keymap):  # the keys as bound
            if b.id in ("edit_config", "quit") or b.id in in_filter:
                continue
            target = queue if b.id in on_queue else self
            yield SystemCommand(b.description, f"key: {key_label(b)}",
                                lambda b=b, target=target: target.run_action(b.action))
        if self.config_host is not None:
            yield SystemCommand("Edit config", "Edit config.toml, validated as you type",
                                self.action_edit_config)

    # --- the keys that need the session: each is the controls' (tui/ui/controls.py) -------

    def action_toggle_pause(self) -> None:
        self.controls.toggle_pause()

    def action_next(self) -> None:
        self.controls.next()

    def action_previous(self) -> None:
        self.controls.previous()

    def action_seek(self, seconds: float) -> None:
        self.controls.seek(seconds)

    def action_volume(self, direction: int) -> None:
        self.controls.volume(direction)

    def action_save_playlist(self) -> None:
        self.controls.save_playlist()

    def action_open_playlist(self) -> None:
        self.controls.open_playlist()

    def action_search(self) -> None:
        self.controls.search()

    def action_history(self) -> None:
        self.controls.history()

    def action_download(self) -> None:
        self.controls.download()

    def action_download_queue(self) -> None:
        self.controls.download_queue()

    def action_downloads(self) -> None:
        self.controls.downloads()

    # --- panels -----------------------------------------------------------------------------

    def _show_panels(self, panels: tuple[str, ...]) -> None:
        self.panels = panels
        self.query_one(SessionPanel).display = "session" in panels
        logs = self.query_one(LogsPane)
        logs.show(panels)
        side = self.query_one("#side")
        side.display = bool(panels)
        side.set_class(not logs.display, "-no-logs")

    def action_toggle_panel(self, group: str) -> None:
        self._show_panels(toggled(self.panels, group))
        wanted, self._panels_wanted = self._panels_wanted, self.panels
        # Else the writer under way picks up the newer choice, or the one started with the
        # config once start-up is done.
        if wanted is None and self.live_config is not None:
            self._remember_panels()

    def action_switch_log(self) -> None:
        self.query_one(LogsPane).switch()

    @work(group="panels")
    async def _remember_panels(self) -> None:
        assert self.live_config is not None
        try:
            await self.live_config.remember_panels(lambda: self._panels_wanted)
        finally:
            self._panels_wanted = None

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(remapped(self.all_bindings(), self.keymap)))
