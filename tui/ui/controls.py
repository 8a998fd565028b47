"""What the keys ask of the session: each key action of the app (tui/ui/keys.py) and each
queue key (tui/ui/widgets/queue_view.py) as the calls it makes on `Playback`, on its queue's
edits and on the dialogs that work on them (tui/ui/library_dialogs.py). The app declares
the keys and hands each action here.

A key that needs the session, pressed before start-up's second half is done
(docs/ARCHITECTURE.md, "Start-up"), is kept and applied, in the order pressed, once the
session is there (`once_started`). The filter and the add dialog need none: they open at
once, so that what is typed next goes into them rather than acting as keys."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .keys import VOLUME_STEP
from .queue_edits import carry_out
from .widgets.filter_bar import FilterBar
from .widgets.queue_view import QueueEdit, QueueView

if TYPE_CHECKING:
    from textual.app import App

    from tui.core.models import QueueItem
    from tui.core.queue import Queue
    from tui.session.playback import Playback

    from .library_dialogs import LibraryDialogs

Action = TypeVar("Action", bound=Callable[..., None])


def once_started(method: Action) -> Action:
    """For what needs the session: pressed before start-up's second half is done, it is
    kept and applied, in the order pressed, once it is."""
    @functools.wraps(method)
    def run(self: Controls, *args: Any) -> None:
        self.when_started(functools.partial(method, self, *args))
    return run  # type: ignore[return-value]


class Controls:
    """The keys' work on the session of `app`, whose queue is `queue` from the first frame
    on (the very queue the playback gets later)."""

    def __init__(self, app: App[None], queue: Queue) -> None:
        self.app = app
        self.queue = queue
        self.playback: Playback | None = None
        self._dialogs: LibraryDialogs | None = None
        self._pending: list[Callable[[], None]] = []  # keys pressed before the session was

    def adopt(self, playback: Playback, dialogs: LibraryDialogs) -> None:
        """The session is there: what is pressed from now on applies at once."""
        self.playback = playback
        self._dialogs = dialogs

    def when_started(self, key: Callable[[], None]) -> None:
        """`key` now, or once the session is there."""
        if self.playback is None:
            self._pending.append(key)
        else:
            key()

    def apply_pending(self) -> None:
        """The keys pressed before the session was there, in the order pressed."""
        pending, self._pending = self._pending, []
        for key in pending:
            key()

    @property
    def _playback(self) -> Playback:
        """The session's playback, in what runs once it is there (`once_started`)."""
        assert self.playback is not None
        return self.playback

    @property
    def _library(self) -> LibraryDialogs:
        assert self._dialogs is not None
        return self._dialogs

    # --- playback ---------------------------------------------------------------------------

    @once_started
    def toggle_pause(self) -> None:
        self._playback.toggle_pause()

    @once_started
    def next(self) -> None:
        self._playback.next()

    @once_started
    def previous(self) -> None:
        self._playback.previous()

    @once_started
    def seek(self, seconds: float) -> None:
        self._playback.seek(seconds)

    @once_started
    def volume(self, direction: int) -> None:
        self._playback.change_volume(direction * VOLUME_STEP)

    # --- the queue's keys -------------------------------------------------------------------

    def queue_edit(self, edit: QueueEdit, index: int | None) -> None:
        """What a queue key asks for, on queue index `index` (the item selected)."""
        match edit:
            case QueueEdit.FILTER:
                bar = self.app.query_one(FilterBar)
                bar.display = True
                # Now, not once the messages queued are handled (as Widget.focus would): the
                # keys typed right after / are among them.
                self.app.screen.set_focus(bar)
            case QueueEdit.ADD | QueueEdit.ADD_NEXT:
                from .screens.add import AddScreen

                play_next = edit is QueueEdit.ADD_NEXT

                def added(refs: list[str] | None) -> None:
                    if refs:
                        self.add(refs, play_next)
                self.app.push_screen(AddScreen(play_next, self.search), added)
            case _:
                self.edit(edit, index, None if index is None else self.queue[index])

    @once_started
    def edit(self, edit: QueueEdit, i: int | None, item: QueueItem | None) -> None:
        carry_out(edit, i, item, self._playback, self.app.query_one(QueueView),
                  self.app.notify)

    @once_started
    def add(self, refs: list[str], play_next: bool) -> None:
        if play_next:
            self._playback.edits.insert_next(refs)
        else:
            self._playback.edits.add(refs)

    # --- the library's dialogs --------------------------------------------------------------

    @once_started
    def save_playlist(self) -> None:
        self._library.save_playlist()

    @once_started
    def open_playlist(self) -> None:
        self._library.open_playlist()

    @once_started
    def search(self, query: str = "") -> None:
        self._library.search(query)

    @once_started
    def history(self) -> None:
        self._library.history()

    # --- downloads: kept in the media cache (pinned) for listening offline -----------------

    @once_started
    def download(self) -> None:
        """The item selected, as selected when the key is applied."""
        index = self.app.query_one(QueueView).selected_index
        if index is not None:
            self._library.keep([index])

    @once_started
    def download_queue(self) -> None:
        self._library.keep(range(len(self._playback.queue)))

    @once_started
    def downloads(self) -> None:
        self._library.show_downloads()
