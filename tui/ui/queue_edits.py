"""Carrying out the queue edits its keys ask for (tui/ui/widgets/queue_view.py), on the
session's playback, as each key is handled."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
            moved_to = edits.swap(i, _neighbour(i, view.view, up=edit is QueueEdit.MOVE_UP))
        case QueueEdit.MOVE_TOP if i is not None:
            # Before the first item shown: under a filter, what is hidden above stays there.
            moved_to = edits.move_to(i, min(i, view.view[0]) if view.view else i)
        case QueueEdit.REMOVE if i is not None:
            edits.remove(i)
        case QueueEdit.UNDO:
            edits.undo_remove()
        case QueueEdit.CLEAR:
            edits.clear(view.view if view.filter_text else None)
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


def _neighbour(i: int, shown: list[int], *, up: bool) -> int:
    """The shown item above queue item `i` (or below it), that K (or J) swaps it with; `i`
    itself at the edge. Under a filter the hidden items between stay where they are, so J
    undoes K. `shown`: the queue indexes in view, ascending."""
    if up:
        row = bisect_left(shown, i) - 1
        return shown[row] if row >= 0 else i
    row = bisect_right(shown, i)
    return shown[row] if row < len(shown) else i
