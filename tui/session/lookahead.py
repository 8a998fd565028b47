"""Looking ahead for Playback: the next few items resolved in the background, and the very
next handed to the player early (libmpv opens it, and moves on to it without a gap)."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from tui.core.models import ItemStatus, QueueItem, StreamInfo
from tui.core.redact import redact
from tui.core.refs import RefKind, parse_ref

if TYPE_CHECKING:
    from .playback import Playback

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Prepared:
    """The next item, opened and handed to the player ahead of time."""

    item: QueueItem
    key: str
    generation: int
    info: StreamInfo


class LookAhead:
    def _next_to_prepare(self: "Playback") -> QueueItem | None:
        """What plays after the current item when it ends, if the player can have it early:
        a yt-dlp item (a service's would hold one of its few stream slots)."""
        if not self.gapless or self.queue.repeat.value == "one":
            return None
        i = self.queue.next_index()
        if i is None or i == self.queue.current_index:
            return None
        item = self.queue[i]
        kind = parse_ref(item.ref, frozenset(self.session.services)).kind
        return item if kind is RefKind.URL and item.status is not ItemStatus.FAILED else None

    async def _prepare_next(self: "Playback") -> None:
        item = self._next_to_prepare()
        if item is None or self._prepared is not None or self._key is None:
            return
        request, key = self._request, f"item{next(self._keys)}"
        try:
            info, url, proxied = await self.session.open(key, item.ref, item.uid)
        except Exception as e:  # preparing is an optimisation: playing it later will retry
            log.info("could not prepare %s: %s", redact(item.ref), redact(str(e)))
            return
        if (request != self._request or self._prepared is not None or not proxied
                or self._next_to_prepare() is not item):
            self.session.close(key)
            return
        self._prepared = Prepared(item, key, self.player.append_next(url), info)

    def _drop_prepared(self: "Playback") -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            self.player.drop_next()
            self.session.close(prepared.key)

    def _coming_up(self: "Playback") -> list[QueueItem]:
        current = self.queue.current_index
        if current is None or self.resolve_ahead <= 0:
            return []
        n = len(self.queue)
        picks = [(current + k) % n for k in range(1, self.resolve_ahead + 1)
                 if current + k < n or self.queue.repeat.value == "all"]
        return [self.queue[i] for i in dict.fromkeys(picks) if i != current]

    def _look_ahead(self: "Playback") -> None:
        """Pre-resolve the next few items so `n` starts without waiting for yt-dlp."""
        coming = [it for it in self._coming_up() if it.status is not ItemStatus.FAILED]
        self.session.forget_ahead({it.uid for it in coming})
        for item in coming:
            self.session.resolve_ahead(item.uid, item.ref)
