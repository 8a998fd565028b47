"""Small real media files for the tests, written in pure Python (wave, struct, zlib) and
tagged with mutagen: no encoder needed."""

from __future__ import annotations

import shutil
import struct
import subprocess
import wave
import zlib
from pathlib import Path


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A plain-coloured PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    """Silence, 16-bit mono."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return path


def mp3(path: Path, seconds: float) -> Path:
    """Silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes and 1152 samples
    each): all-zero side information is a valid frame that decodes to silence."""
    frame = bytes([0xFF, 0xFB, 0x90, 0x44]) + b"\0" * (417 - 4)
    path.write_bytes(frame * (int(seconds * 44100 / 1152) + 1))
    return path


def tag_id3(path: Path, *, title: str | None = None, artist: str | None = None,
            album: str | None = None, cover: bytes | None = None) -> Path:
    """ID3 tags on an MP3 or in a WAV's `id3 ` chunk; `cover` as an APIC front cover."""
    from mutagen import File
    from mutagen.id3 import APIC, TALB, TIT2, TPE1

    audio = File(str(path))
    if audio.tags is None:
        audio.add_tags()
    for frame, text in ((TIT2, title), (TPE1, artist), (TALB, album)):
        if text is not None:
            audio.tags.add(frame(encoding=3, text=text))
    if cover is not None:
        audio.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="front", data=cover))
    audio.save()
    return path


def flac(path: Path, seconds: float) -> Path | None:
    """A FLAC file, if ffmpeg is there to encode one (mutagen writes tags, not audio)."""
    if shutil.which("ffmpeg") is None:
        return None
    source = wav(path.with_suffix(".src.wav"), seconds)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), str(path)], check=True)
    source.unlink()
    return path
