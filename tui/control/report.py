"""What `status`, `queue` and `watch` answer: plain JSON objects made from what Playback
shows, in the schemas docs/CONTROL.md documents (version `VERSION`). Text from outside
(titles, artists, a service's reason) is cleaned as the screen and MPRIS clean it: a status
bar puts it on a terminal too. References are redacted: a signed URL's signature never
leaves ytplay this way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.models import QueueItem
from tui.core.nowplaying import PlayState
from tui.core.redact import redact
from tui.core.sanitize import printable

from .protocol import VERSION

if TYPE_CHECKING:
    from tui.session.playback import Playback

# The states by the words the screen shows: IDLE is "■ stopped" there.
STATES = {PlayState.IDLE: "stopped", PlayState.RESOLVING: "resolving",
          PlayState.LOADING: "loading", PlayState.PLAYING: "playing",
          PlayState.PAUSED: "paused", PlayState.HOLDING: "holding", PlayState.ENDED: "ended"}


def _text(value: str | None) -> str | None:
    return None if value is None else printable(value)


def _seconds(value: float | None) -> float | None:
    # Tenths: what a status bar can use, and a seek's landing (4.99997) reads as asked.
    return None if value is None else round(value, 1)


def status(playback: Playback) -> dict[str, object]:
    now, queue = playback.now, playback.queue
    item = queue.current
    return {
        "v": VERSION,
        "state": STATES[now.state],
        "title": _text(now.title or (item.title if item else None)),
        "artist": _text(now.artist or (item.artist if item else None)),
        "album": _text(item.album if item else None),
        "ref": None if item is None else printable(redact(item.ref)),
        "position": _seconds(now.position),
        "duration": _seconds(now.duration),
        "live": now.live,
        "volume": round(now.volume),
        "index": queue.current_index,
        "length": len(queue),
        "shuffle": queue.shuffled,
        "repeat": queue.repeat.value,
        "note": printable(now.status),
    }


def _item(index: int, item: QueueItem) -> dict[str, object]:
    return {"index": index, "title": _text(item.title), "artist": _text(item.artist),
            "album": _text(item.album), "duration": _seconds(item.duration),
            "ref": printable(redact(item.ref)), "state": item.status.value,
            "reason": _text(item.reason)}


def queue(playback: Playback) -> dict[str, object]:
    q = playback.queue
    return {"v": VERSION, "current": q.current_index, "length": len(q),
            "shuffle": q.shuffled, "repeat": q.repeat.value,
            "items": [_item(i, item) for i, item in enumerate(q)]}
