"""The demo service's tracks: what they are called and how they sound."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Track:
    id: str
    title: str
    artist: str
    seconds: int
    # How it sounds: a root note (MIDI), a scale, beats per minute, a waveform and a melody
    # seed. Each track differs in all of them so they are easy to tell apart by ear.
    root: int
    scale: tuple[int, ...]
    bpm: int
    wave: str
    seed: int


MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
PENTATONIC = (0, 2, 4, 7, 9)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
BLUES = (0, 3, 5, 6, 7, 10)
WHOLE_TONE = (0, 2, 4, 6, 8, 10)

TRACKS: tuple[Track, ...] = (
    Track("t1", "Low Tide", "Demo Ensemble", 184, 57, MINOR, 84, "sine", 1),
    Track("t2", "Copper Lanterns", "The Signal Path", 152, 64, MAJOR, 120, "triangle", 2),
    Track("t3", "Night Bus", "Mara Okafor", 203, 52, BLUES, 96, "square", 3),
    Track("t4", "Paper Kites", "Demo Ensemble", 131, 69, PENTATONIC, 138, "pluck", 4),
    Track("t5", "Glass Orchard", "Iven Holt", 222, 60, WHOLE_TONE, 72, "organ", 5),
    Track("t6", "Rust and Honey", "The Signal Path", 168, 55, DORIAN, 108, "saw", 6),
)

BY_ID = {t.id: t for t in TRACKS}

# The live station: an HLS stream that loops one track for ever (tui/demo/hls.py).
LIVE_ID = "live"
LIVE_TITLE = "Demo Radio (live)"
LIVE_TRACK = TRACKS[3]
