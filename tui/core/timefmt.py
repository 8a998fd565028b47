"""Formatting times for people."""

from __future__ import annotations

import math


def clock(seconds: float | None) -> str:
    """`m:ss` (or `h:mm:ss`); `--:--` when unknown or not a number, never NaN."""
    if seconds is None or not math.isfinite(seconds):
        return "--:--"
    total = max(0, int(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def countdown(seconds: float | None) -> str:
    """Time left for a lease: `1h05m`, `25m`, `4m05s`, `12s`, `expired`, or `-` when it has
    no expiry. Seconds only under ten minutes: further off they tell nothing, and a panel
    counting them is drawn again every second for as long as a stream plays or waits."""
    if seconds is None:
        return "-"
    if seconds <= 0:
        return "expired"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    if s >= 600:
        return f"{s // 60}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"
