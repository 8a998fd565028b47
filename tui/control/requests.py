"""One request of `ytplay ctl`, carried out on the loop with the very calls the keys make
(tui/ui/controls.py: `toggle_pause`, `next`, `previous`, `seek`, `change_volume`, the add
dialog's `edits.add` and `edits.insert_next`), or MPRIS's where no key does it (`stop`,
`seek_to`, a volume set outright). So `next next next` from a script is three `n` keys:
three Next commands into Playback.dispatch, in order, each moving the queue at once.

A request that has nothing to act on is refused with the reason, in one line: `next` at the
end of the queue, `seek` with no item or in a live stream. play, pause and stop set a state
and are done when it is already so."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Callable

from tui.core.nowplaying import PlayState
from tui.core.refs import why_not_a_ref
from tui.core.sanitize import printable

from . import report

if TYPE_CHECKING:
    from tui.session.playback import Playback

Request = dict[str, object]
Answer = dict[str, object]
VOLUME_MAX = 130  # libmpv's volume-max, the range of [playback] volume


class Refused(Exception):
    """Why a request was not carried out, in one line for whoever sent it."""


def _said(text: str) -> str:
    """What was sent, said back short and safe for a terminal."""
    return printable(text)[:200]


def _number(request: Request) -> tuple[bool, float]:
    """(relative, value) of a request with `by` or `to`."""
    for key in ("by", "to"):
        value = request.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
            return key == "by", float(value)
    raise Refused(f"{request['cmd']} takes a number as \"by\" or \"to\"")


class Remote:
    def __init__(self, playback: Playback) -> None:
        self.pb = playback
        self._actions: dict[str, Callable[[Request], Answer]] = {
            "play": self._play, "pause": self._pause, "toggle": self._toggle,
            "next": self._next, "prev": self._prev, "stop": self._stop, "seek": self._seek,
            "volume": self._volume, "add": self._add,
            "status": lambda _r: {"status": report.status(self.pb)},
            "queue": lambda _r: {"queue": report.queue(self.pb)},
        }

    def carry_out(self, request: object) -> Answer:
        """The answer's fields beyond "ok" (docs/CONTROL.md); Refused says why not."""
        if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
            raise Refused('a request is a JSON object with a "cmd"')
        action = self._actions.get(request["cmd"])
        if action is None:
            raise Refused(f"no such command: {_said(request['cmd'])}")
        return action(request)

    def _plays(self) -> bool:
        """It plays, or is on its way to and will not start paused: what pause would pause
        (Playback's own test, which it keeps to itself)."""
        state = self.pb.now.state
        return state is PlayState.PLAYING or (
            state in (PlayState.LOADING, PlayState.RESOLVING) and not self.pb.target.start_paused)

    def _something_queued(self) -> None:
        if not len(self.pb.queue):
            raise Refused("the queue is empty: nothing to play (ytplay ctl add REF queues)")

    def _play(self, _request: Request) -> Answer:
        self._something_queued()
        if not self._plays():
            self.pb.toggle_pause()
        return {}

    def _pause(self, _request: Request) -> Answer:
        if self._plays():
            self.pb.toggle_pause()
        return {}

    def _toggle(self, _request: Request) -> Answer:
        self._something_queued()
        self.pb.toggle_pause()
        return {}

    def _next(self, _request: Request) -> Answer:
        self._something_queued()
        if self.pb.queue.next_index() is None:
            raise Refused("nothing after this item: it is the last (and repeat is off)")
        self.pb.next()
        return {}

    def _prev(self, _request: Request) -> Answer:
        self._something_queued()
        if self.pb.queue.current is None:
            raise Refused("no item is current: nothing to go back from")
        self.pb.previous()
        return {}

    def _stop(self, _request: Request) -> Answer:
        self.pb.stop()
        return {}

    def _seek(self, request: Request) -> Answer:
        relative, value = _number(request)
        if self.pb.queue.current is None:
            raise Refused("no item is current: nothing to seek in")
        if self.pb.now.live:
            raise Refused("a live stream plays at its live edge: nothing to seek in")
        if relative:
            self.pb.seek(value)
        else:
            self.pb.seek_to(value)
        return {}

    def _volume(self, request: Request) -> Answer:
        relative, value = _number(request)
        if not relative and not 0 <= value <= VOLUME_MAX:
            raise Refused(f"the volume goes from 0 to {VOLUME_MAX} (percent)")
        # A step past either end stops there, as + and - do.
        self.pb.change_volume(value if relative else value - self.pb.player.volume)
        return {}

    def _add(self, request: Request) -> Answer:
        refs = request.get("refs")
        if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
            raise Refused('add takes "refs", a list of references')
        for ref in refs:
            if (why := why_not_a_ref(ref, exists=os.path.exists)) is not None:
                raise Refused(f"nothing added: {_said(why)}")
        edits = self.pb.edits
        added = edits.insert_next(refs) if request.get("next") is True else edits.add(refs)
        return {"added": len(added)}
