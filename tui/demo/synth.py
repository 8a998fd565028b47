"""Deterministic synthesis of the demo tracks as 16-bit mono WAV, in pure Python.

A track is a melody of notes from its scale over a bass note per bar. Every distinct note is
rendered once and the track is assembled by joining those buffers, so a three-minute track
costs a few dozen rendered notes rather than millions of computed samples.
"""

from __future__ import annotations

import math
import random
import struct
from array import array
from functools import lru_cache

from .catalog import Track

RATE = 22050
_AMP = 9000


def _wave(kind: str, phase: float) -> float:
    """One sample of a waveform at `phase` (in cycles)."""
    p = phase % 1.0
    if kind == "sine":
        return math.sin(2 * math.pi * p)
    if kind == "triangle":
        return 4 * abs(p - 0.5) - 1
    if kind == "square":
        return 0.6 if p < 0.5 else -0.6
    if kind == "saw":
        return 0.7 * (2 * p - 1)
    if kind == "organ":
        return (math.sin(2 * math.pi * p) + 0.5 * math.sin(4 * math.pi * p)
                + 0.25 * math.sin(6 * math.pi * p)) / 1.75
    # "pluck": bright attack that the envelope below turns into a plucked string
    return math.sin(2 * math.pi * p) * 0.7 + math.sin(6 * math.pi * p) * 0.3


def _hz(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


@lru_cache(maxsize=512)
def _note(wave: str, melody: int, bass: int, samples: int) -> bytes:
    """A note of the melody over a bass note, with an attack/decay envelope, as PCM bytes."""
    fm, fb = _hz(melody) / RATE, _hz(bass) / RATE
    attack = min(200, samples // 8)
    decay = 3.5 if wave == "pluck" else 1.2
    out = array("h", bytes(2 * samples))
    for i in range(samples):
        env = (i / attack) if i < attack else math.exp(-decay * (i - attack) / samples)
        v = 0.75 * _wave(wave, fm * i) * env + 0.25 * math.sin(2 * math.pi * fb * i)
        out[i] = int(_AMP * v)
    if out.itemsize != 2 or struct.pack("=h", 1) != struct.pack("<h", 1):
        out.byteswap()  # WAV is little-endian
    return out.tobytes()


def pcm(track: Track) -> bytes:
    """The whole track's samples."""
    rng = random.Random(track.seed)
    beat = int(RATE * 60 / track.bpm / 2)  # eighth notes
    steps_per_bar = 8
    motif = [rng.randrange(len(track.scale) * 2) for _ in range(steps_per_bar * 2)]
    progression = [0, 3, 4, 0] if len(track.scale) >= 5 else [0, 2, 0, 3]
    total = track.seconds * RATE
    parts: list[bytes] = []
    written, step = 0, 0
    while written < total:
        bar = step // steps_per_bar
        degree = progression[bar % len(progression)]
        # Every eighth bar the motif shifts by one scale step so the track develops.
        shift = (bar // 8) % 3
        d = motif[step % len(motif)] + degree + shift
        octave, idx = divmod(d, len(track.scale))
        melody = track.root + 12 + 12 * octave + track.scale[idx]
        bass = track.root - 12 + track.scale[degree % len(track.scale)]
        n = min(beat, total - written)
        parts.append(_note(track.wave, melody, bass, n))
        written += n
        step += 1
    return b"".join(parts)


def wav(track: Track) -> bytes:
    """A complete WAV file (RIFF header + PCM) for `track`."""
    data = pcm(track)
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 1, RATE, RATE * 2, 2, 16,
        b"data", len(data),
    )
    return header + data
