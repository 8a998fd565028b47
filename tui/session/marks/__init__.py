"""What a queued item says about itself beside its state, kept in step by two background
services of the app: how much of it the media cache holds (`CacheMarks`, `QueueItem.cached`)
and, while ytplay is offline, that it cannot play without the network (`OfflineMarks`, its
reason). They watch the queue through `Playback`; nothing of the session watches them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._cache_marks import CacheMarks
    from ._offline_marks import OfflineMarks

__all__, __getattr__ = face(__name__, {
    "_cache_marks": ("CacheMarks",),
    "_offline_marks": ("OfflineMarks",),
})
