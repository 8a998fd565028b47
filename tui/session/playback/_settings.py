"""Playback settings that a live config reload may change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PlaybackSettings:
    resume_threshold: float = 600.0   # s; longer items remember their position
    resolve_ahead: int = 3            # items after the current one to pre-resolve
    gapless: bool = True              # hand the next item to the player early
