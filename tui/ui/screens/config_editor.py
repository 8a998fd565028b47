"""The config file in an editor: TOML highlighting, validation as you type with errors
listed at their lines, save (atomic, only when valid) or cancel. A save never overwrites
what changed on disk meanwhile without asking (tui/ui/screens/config_conflict.py), and
leaving with edits not saved asks too."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.config.schema import Config
from tui.config.store import ChangedOnDisk
from tui.config.validate import ConfigError, Issue
from tui.core.merge import MINE_MARK, THEIRS_MARK, three_way
from tui.ui.config_host import ConfigHost
from tui.ui.css import sibling_css
from tui.ui.untrusted import plain
from tui.ui.widgets.code_editor import CodeEditor

from .config_conflict import ConfigConflict, Resolution
from .discard_edits import DiscardEdits

VALIDATE_DELAY = 0.3  # s after the last keystroke


class ConfigEditor(Screen[Config | None]):
    DEFAULT_CSS = sibling_css(__file__)
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="config_save"),
        # Carried out by the editor in the order typed (tui/ui/widgets/text_field.py), before
        # the code editor's own escape (which moves the focus out) is reached.
        Binding("escape", "cancel", "Cancel", id="config_cancel"),
        Binding("f8", "next_error", "Next error", id="config_next_error"),
    ]

    def __init__(self, host: ConfigHost) -> None:
        super().__init__()
        self.host = host
        self.issues: list[Issue] = []
        self._timer = None
        self._error_index = -1
        self.base = ""  # the file's text that the edits start from

    def compose(self) -> ComposeResult:
        self.base = self.host.read()
        with Vertical():
            yield Static(f"Editing {self.host.path}", id="config-title")
            yield CodeEditor.code_editor(self.base, language="toml", id="config-text")
            yield Static("", id="config-errors")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CodeEditor).focus()
        self._validate(self.query_one(CodeEditor).text)

    @property
    def text(self) -> str:
        return self.query_one(CodeEditor).text

    def on_text_area_changed(self, _event: CodeEditor.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(VALIDATE_DELAY, lambda: self._validate(self.text))

    @work(thread=True, exclusive=True, group="config-validate")
    def _validate(self, text: str) -> None:
        # The schema's checks and libmpv's option check can take tens of ms: off the UI loop.
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
        area = self.query_one(CodeEditor)
        area.move_cursor((located[self._error_index].line - 1, 0))  # type: ignore[operator]
        area.focus()

    @work(exclusive=True, group="config-save")
    async def action_save(self) -> None:
        import asyncio

        text = self.text
        while True:
            try:
                config = await asyncio.to_thread(self.host.save, text, self.base)
            except ConfigError as e:
                self._show(e.issues)
                self.notify("Not saved: the config has errors", severity="error")
                return
            except ChangedOnDisk as e:
                if e.text != text:
                    self._changed_on_disk(text, e.text)
                    return
                self.base = e.text  # changed outside to what is typed here: no choice
            else:
                self.dismiss(config)
                return

    def _changed_on_disk(self, mine: str, theirs: str) -> None:
        def chosen(how: Resolution | None) -> None:
            if how is None:
                return  # back to editing, nothing written
            if how is Resolution.KEEP_MINE:
                self.base = theirs
                self.action_save()  # asks again if the file changed once more meanwhile
                return
            merged = three_way(self.base, mine, theirs) if how is Resolution.MERGE else None
            self.base = theirs
            self._replace_text(theirs if merged is None else merged.text)
            if merged is not None:
                self.notify("Merged: both changes are in the editor; ctrl+s saves"
                            if not merged.conflicts else
                            f"{merged.conflicts} place(s) both changed are marked "
                            f"{MINE_MARK} … {THEIRS_MARK}: settle them, then ctrl+s saves",
                            severity="warning" if merged.conflicts else "information",
                            markup=False, timeout=10)
        self.app.push_screen(ConfigConflict(self.host.path.name, self.base, theirs, mine),
                             chosen)

    def _replace_text(self, text: str) -> None:
        """The whole text replaced as one edit, so ctrl+z brings back what was there."""
        area = self.query_one(CodeEditor)
        area.replace(text, area.document.start, area.document.end)

    def action_cancel(self) -> None:
        if self.text == self.base:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)
        self.app.push_screen(DiscardEdits(), answered)
