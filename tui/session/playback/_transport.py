"""What libmpv plays, by playlist entry id: the current entry and at most one handed over
ahead of time (docs/ARCHITECTURE.md, "Playback: one state machine"). Player events are
sorted here into those of the current entry, those of the handed-over one and stale ones,
which never move the queue. Whether a hand-over happened is state here, never an
assumption."""

from __future__ import annotations

import enum
from typing import Mapping

from tui.core.player_events import AudioFallback, PauseChanged, PlayerEvent
from tui.core.ports import Player


class Whose(enum.Enum):
    CURRENT = "current"
    HANDED = "handed"    # the entry handed over ahead: libmpv moved on to it by itself
    STALE = "stale"      # a replaced or stopped entry


class Transport:
    def __init__(self, player: Player) -> None:
        self.player = player
        self.current: int | None = None   # entry id of what plays (or loads)
        self.handed: int | None = None    # entry id handed over ahead, if any

    def load(self, url: str, *, start: float, headers: Mapping[str, str], paused: bool) -> None:
        self.handed = None  # a replacing load drops the whole playlist
        self.current = self.player.load(url, start=start, headers=headers, paused=paused)

    def hand_over(self, url: str) -> int:
        self.withdraw()
        self.handed = self.player.append_next(url)
        return self.handed

    def withdraw(self) -> None:
        if self.handed is not None:
            self.handed = None
            self.player.drop_next()

    def switch(self) -> None:
        """Make the handed-over entry the one that plays: at once for a key; at the end of
        a file libmpv may have moved on to it by itself already, which is fine too."""
        assert self.handed is not None
        self.current, self.handed = self.handed, None
        self.player.play_next()

    def seek(self, position: float) -> None:
        if self.current is not None:
            self.player.seek(self.current, position)

    def stop(self) -> None:
        self.current = self.handed = None
        self.player.stop()

    def whose(self, event: PlayerEvent) -> Whose:
        if isinstance(event, (PauseChanged, AudioFallback)):
            return Whose.CURRENT  # the player's own state, whatever file it is on
        if self.current is not None and event.generation == self.current:
            return Whose.CURRENT
        if self.handed is not None and event.generation == self.handed:
            return Whose.HANDED
        return Whose.STALE
