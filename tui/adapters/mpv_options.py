"""Asking libmpv whether raw options from the config are ones it accepts."""

from __future__ import annotations

from typing import Any, Mapping

import mpv


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def check_mpv_options(options: Mapping[str, Any]) -> dict[str, str]:
    """{option: problem} for each option libmpv refuses, set one at a time on a bare handle
    that plays nothing and outputs nothing."""
    problems: dict[str, str] = {}
    player = mpv.MPV(ao="null", vo="null", video=False, terminal=False)
    try:
        for name, value in options.items():
            try:
                player[name] = _as_text(value)  # sets options/<name>
            except Exception as e:  # python-mpv raises its own error types
                reason = e.args[0] if e.args and isinstance(e.args[0], str) else type(e).__name__
                reason = reason.replace("mpv property does not exist", "no such option")
                problems[name] = f"libmpv refuses {name} = {_as_text(value)!r}: {reason}"
    finally:
        player.terminate()
    return problems
