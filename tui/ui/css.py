"""Widgets keep their styles in a .tcss file beside their module."""

from __future__ import annotations

from pathlib import Path


def sibling_css(module_file: str) -> str:
    return Path(module_file).with_suffix(".tcss").read_text("utf-8")
