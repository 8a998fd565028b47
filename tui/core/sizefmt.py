"""Byte counts for people: 512 B, 48 KiB, 5.8 MiB, 1.0 GiB (powers of 1024, as the config's
sizes are read)."""

from __future__ import annotations


def human_size(n: int | float | None) -> str:
    if n is None:
        return "?"
    if n < 1024:
        return f"{int(n)} B"
    if n < 1 << 20:
        return f"{n / 1024:.0f} KiB"
    if n < 1 << 30:
        return f"{n / (1 << 20):.1f} MiB"
    return f"{n / (1 << 30):.1f} GiB"
