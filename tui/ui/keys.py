"""The app's keys: one table, which the footer, the help screen, the command palette, the
`[keys]` section of the config and README's key table (tui/ui/keys_doc.py) all read."""

from __future__ import annotations

import dataclasses
from typing import Iterable, Mapping

from textual.binding import Binding, BindingType

# How far one key press seeks (seconds), and how much it changes the volume (percent).
SEEK_STEP = 5
VOLUME_STEP = 5

APP_KEYS: list[BindingType] = [
    Binding("space", "toggle_pause", "Play/Pause", id="play_pause"),
    Binding("n", "next", "Next", id="next"),
    Binding("p", "previous", "Previous", id="previous"),
    Binding("left", f"seek({-SEEK_STEP})", f"Back {SEEK_STEP}s", id="seek_back"),
    Binding("right", f"seek({SEEK_STEP})", f"Forward {SEEK_STEP}s", id="seek_forward"),
    Binding("plus,equals_sign", "volume(1)", "Volume up", id="volume_up"),
    Binding("minus", "volume(-1)", "Volume down", id="volume_down"),
    Binding("f", "search", "Search", id="search"),
    Binding("w", "save_playlist", "Save queue as playlist", show=False, id="save_playlist"),
    Binding("o", "open_playlist", "Open playlist", show=False, id="open_playlist"),
    Binding("h", "history", "History", show=False, id="history"),
    # Downloads: kept in the media cache (pinned) for listening offline.
    Binding("D", "download", "Download selected", show=False, id="download"),
    Binding("ctrl+d", "download_queue", "Download the whole queue", show=False,
            id="download_queue"),
    Binding("v", "downloads", "Downloads", show=False, id="downloads"),
    # Panels on and off, remembered in the config (tui/ui/panels.py says why there).
    Binding("S", "toggle_panel('session')", "Session panel on/off", show=False,
            id="toggle_session"),
    Binding("L", "toggle_panel('logs')", "Logs on/off", show=False, id="toggle_logs"),
    # Where the logs share one tabbed pane (a small screen), the other log's tab.
    Binding("l", "switch_log", "Switch log tab", show=False, id="switch_log"),
    # Escape in the list clears the filter, as it does in the filter's field
    # (tui/ui/widgets/filter_bar.py; the same id remaps both).
    Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
    Binding("c", "edit_config", "Edit config", id="edit_config"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
]

# All priority, as the queue's: carried out as the app reads each key, in the order typed. A
# key that is not a priority binding is handed to the focused widget and its binding looked
# up when that widget gets to it, against the focus of that moment: typed in one chunk, f
# then abba lost the f to the add dialog. (Priority also keeps ←/→ from the queue's own
# cursor.) The app's check_action keeps them out of text fields and dialogs.
APP_KEYS = [dataclasses.replace(b, priority=True) if isinstance(b, Binding) else b
            for b in APP_KEYS]
APP_ACTIONS = frozenset(b.action.split("(")[0] for b in APP_KEYS if isinstance(b, Binding))


def remapped(bindings: Iterable[Binding], keymap: Mapping[str, str]) -> list[Binding]:
    """`bindings` with the keys `keymap` (`[keys]`: id -> keys) gives them, as Textual's
    `set_keymap` binds them; the help screen and the palette show these."""
    return [b.with_key(keymap[b.id]) if b.id in keymap else b for b in bindings]
