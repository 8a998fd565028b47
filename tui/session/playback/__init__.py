"""Playback, the one owner of what plays now (docs/ARCHITECTURE.md, "Playback: one state
machine"): `Playback` applies commands one at a time on the loop, every key counting, and
is what the front ends drive. Its private parts, each with its own state: the target and the
work under way for it, what becomes of an item whose open fails or whose file ends, what is
told on the bus, libmpv's entries, what is opened ahead, the queue's edits, and the
background tasks they share. `PlaybackSettings`: what a live reload of the config may
change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._playback import Playback
    from ._settings import PlaybackSettings

__all__, __getattr__ = face(__name__, {
    "_playback": ("Playback",),
    "_settings": ("PlaybackSettings",),
})
