"""Cover art for the demo's tracks: a small PNG per track, drawn in pure Python (zlib and
struct) and the same on every run, so each track is easy to tell apart on screen."""

from __future__ import annotations

import colorsys
import functools
import math
import struct
import zlib

from .catalog import Track

SIZE = 96  # pixels a side


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG of `rgb` (rows top to bottom, 3 bytes a pixel)."""
    stride = width * 3
    raw = b"".join(b"\0" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


@functools.cache
def cover_png(track: Track) -> bytes:
    """The track's cover: a diagonal wash between two colours of its own, with a disc of a
    third and rings round it, placed by its seed. Bold shapes: it must still read at a few
    terminal cells."""
    hue = (track.seed - 1) / 6 + track.root / 1270
    top, bottom = _rgb(hue, 0.7, 0.95), _rgb(hue + 0.08, 0.85, 0.3)
    disc, ring = _rgb(hue + 0.5, 0.6, 0.9), _rgb(hue + 0.5, 0.2, 1.0)
    cx = SIZE * (0.35 + 0.06 * (track.seed % 5))
    cy = SIZE * (0.65 - 0.05 * (track.seed % 4))
    radius = SIZE * (0.18 + 0.02 * (len(track.scale) - 5))
    pixels = bytearray()
    for y in range(SIZE):
        for x in range(SIZE):
            t = (x + y) / (2 * SIZE - 2)
            colour = [round(a + (b - a) * t) for a, b in zip(top, bottom)]
            d = math.hypot(x - cx, y - cy)
            if d < radius:
                colour = list(disc)
            elif d < radius * 2.6 and (d - radius) % (radius * 0.55) < radius * 0.18:
                colour = list(ring)
            pixels += bytes(colour)
    return encode_png(SIZE, SIZE, bytes(pixels))
