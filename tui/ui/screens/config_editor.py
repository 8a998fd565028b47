"""The config file in an editor: TOML highlighting, validation as you type with errors
listed at their lines, save (atomic, only when valid) or cancel."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from tui.config.schema import Config
from tui.config.validate import ConfigError, Issue
from tui.ui.config_host import ConfigHost
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain

VALIDATE_DELAY = 0.3  # s after the last keystroke


class ConfigEditor(Screen[Config | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="config_save"),
        # priority: in a code editor, escape would otherwise only move the focus out
        Binding("escape", "cancel", "Cancel", id="config_cancel", priority=True),
        Binding("f8", "next_error", "Next error", id="config_next_error"),
    ]

    def __init__(self, host: ConfigHost) -> None:
        super().__init__()
        self.host = host
        self.issues: list[Issue] = []
        self._timer = None
        self._error_index = -1

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Editing {self.host.path}", id="config-title")
            yield TextArea.code_editor(self.host.read(), language="toml", id="config-text")
            yield Static("", id="config-errors")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self._validate(self.query_one(TextArea).text)

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(VALIDATE_DELAY, lambda: self._validate(self.text))

    @work(thread=True, exclusive=True, group="config-validate")
    def _validate(self, text: str) -> None:
        # pydantic and libmpv's option check can take tens of ms: off the UI loop.
        _, issues = self.host.validate(text)
        self.app.call_from_thread(self._show, issues)

    def _show(self, issues: list[Issue]) -> None:
        self.issues = issues
        self._error_index = -1
        panel = self.query_one("#config-errors", Static)
        if not issues:
            panel.update("[green]✓ valid[/]   ctrl+s saves · escape cancels")
            panel.remove_class("invalid")
            return
        # Assembled as Text, not markup: a message may quote the file's own text, and a
        # value like "[bold]" must show as typed, not restyle (or break) the panel.
        text = Text()
        for i in issues[:8]:
            text.append(f"line {i.line or '?'}", style="bold")
            text.append_text(plain(f"  {i.path + ': ' if i.path else ''}{i.message}"))
            text.append("\n")
        if len(issues) > 8:
            text.append("…\n")
        text.append("f8 jumps to the next error", style="dim")
        panel.update(text)
        panel.add_class("invalid")

    def action_next_error(self) -> None:
        located = [i for i in self.issues if i.line]
        if not located:
            return
        self._error_index = (self._error_index + 1) % len(located)
        area = self.query_one(TextArea)
        area.move_cursor((located[self._error_index].line - 1, 0))  # type: ignore[operator]
        area.focus()

    @work(exclusive=True, group="config-save")
    async def action_save(self) -> None:
        import asyncio

        text = self.text
        try:
            config = await asyncio.to_thread(self.host.save, text)
        except ConfigError as e:
            self._show(e.issues)
            self.notify("Not saved: the config has errors", severity="error")
            return
        self.dismiss(config)

    def action_cancel(self) -> None:
        self.dismiss(None)
