"""The config while ytplay runs: a new one applied (from the editor, or the file changed on
disk, watched through inotify), and the panels a key shows written back into `[ui] panels`
(tui/ui/panels.py says why there). The app owns one once start-up's second half has
handed it the config (`ConfigHost`), and shows what this reports."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from tui.core.events import Level

if TYPE_CHECKING:
    from tui.config.schema import Config

    from .config_host import ConfigHost

Note = Callable[[Level, str], None]


class LiveConfig:
    def __init__(self, host: ConfigHost, show: Callable[[Config, bool], None], note: Note,
                 applied: Callable[[list[str]], None], rejected: Callable[[], None]) -> None:
        """`show(config, panels)`: the UI's part of a config (theme, panels unless told
        not to, cover, keys). `applied(notes)`, `rejected()`: a new config is in force, or
        the file changed but does not validate (the running config stays)."""
        self.host = host
        self._show = show
        self._note = note
        self._applied = applied
        self._rejected = rejected

    @property
    def config(self) -> Config:
        return self.host.config

    def apply(self, config: Config, panels: bool = True) -> None:
        """Put `config` in force. `panels`: False when the file was just written with the
        panels shown now; a key pressed meanwhile is newer."""
        notes = self.host.apply(config)
        self._show(config, panels)
        for note in notes:
            self._note(Level.INFO, f"config: {note}")
        self._applied(notes)

    async def watch(self) -> None:
        """Apply the file when it changes on disk (tui/ui/file_changes.py)."""
        from .file_changes import changes

        path = self.host.path
        async for _ in changes(path):
            try:
                text = await _settled_text(path)
            except OSError:
                continue  # replaced mid-read; the next event brings the new file
            except UnicodeDecodeError:
                self._note(Level.ERROR, f"{path} changed but is not UTF-8 text; keeping the "
                           "running config (save it as UTF-8)")
                self._rejected()
                continue
            config, issues = await asyncio.to_thread(self.host.validate, text)
            if config is None:
                self._note(Level.ERROR, "config file changed but has errors; keeping the "
                           "running config:\n" + "\n".join(i.render(path) for i in issues))
                self._rejected()
            elif config != self.host.config:
                self.apply(config)

    async def remember_panels(self, wanted: Callable[[], tuple[str, ...] | None]) -> None:
        """Write `wanted()` into `[ui] panels` until what is written is what is wanted:
        presses that come while a write is under way make one more write, never one each."""
        from tui.config.edit import with_option
        from tui.config.validate import ConfigError

        host = self.host
        await asyncio.sleep(0.3)  # a burst of presses: write once, after it
        while (panels := wanted()) is not None and list(panels) != host.config.ui.panels:
            text = await asyncio.to_thread(host.read)
            new = with_option(text, "ui", "panels", list(panels))
            try:
                if new is None:
                    raise ValueError("not TOML")
                config = await asyncio.to_thread(host.save, new)
            except (ConfigError, ValueError, OSError):
                # The file is the person's: one that does not validate is theirs to fix.
                self._note(Level.WARNING, f"panels not remembered: {host.path} has errors "
                           "or cannot be written (`ytplay config check`)")
                return
            if config != host.config:
                self.apply(config, panels=False)


async def _settled_text(path: Path) -> str:
    """The file once it stops changing: an editor that truncates and then writes can be
    caught half-way, and a half-written file is not an invalid one."""
    text = await asyncio.to_thread(path.read_text, "utf-8")
    for _ in range(5):
        await asyncio.sleep(0.05)
        again = await asyncio.to_thread(path.read_text, "utf-8")
        if again == text:
            break
        text = again
    return text
