"""Carrying out the queue edits its keys ask for (tui/ui/widgets/queue_view.py), on the
session's playback, as each key is handled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .widgets.queue_view import QueueEdit, QueueView

if TYPE_CHECKING:
    from tui.core.models import QueueItem
    from tui.session.playback import Playback


def carry_out(edit: QueueEdit, i: int | None, item: QueueItem | None, playback: Playback,
              view: QueueView, notify: Callable[[str], object]) -> None:
    """Edit `edit` on queue index `i`, selected on `item`. Kept for the session (pressed on
    the first frame), the edit is made on the item selected, wherever the edits kept before
    it have moved it (j j K d removes the item K moved up, not the one that came down into
    its place); at its index as pressed when one of them removed it (d d removes two)."""
    queue, edits = playback.queue, playback.edits
    if item is not None and any(it is item for it in queue):
        i = queue.index_of(item)
    moved_to: int | None = None
    match edit:
        case QueueEdit.PLAY if i is not None:
            playback.play(i)
        case QueueEdit.MOVE_UP | QueueEdit.MOVE_DOWN if i is not None:
            moved_to = edits.move_to(i, i - 1 if edit is QueueEdit.MOVE_UP else i + 1)
        case QueueEdit.MOVE_TOP if i is not None:
            moved_to = edits.move_to(i, 0)
        case QueueEdit.REMOVE if i is not None:
            edits.remove(i)
        case QueueEdit.UNDO:
            edits.undo_remove()
        case QueueEdit.CLEAR:
            edits.clear()
        case QueueEdit.SHUFFLE:
            notify("shuffle on" if edits.toggle_shuffle() else "shuffle off")
        case QueueEdit.REPEAT:
            notify(f"repeat {edits.cycle_repeat()}")
    # The view re-read now, not when QueueChanged comes: the keys typed in the same chunk are
    # handled before that message, and each must act on the queue as this one left it (dd on
    # the last item, K then d under a filter).
    view.refresh_view()
    if moved_to is not None:
        view.select(moved_to)
