"""Reading and replacing config.toml. The file is only ever replaced by a text that
validates, atomically, with the previous version kept as config.toml.bak."""

from __future__ import annotations

from pathlib import Path

from .atomic import atomic_write
from .defaults import default_text
from .schema import Config
from .validate import MpvCheck, load_text


def read_or_create(path: Path) -> str:
    """The file's text; on first run, the commented defaults are written first."""
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        text = default_text()
        atomic_write(path, text)
        return text


def load(path: Path, check_mpv: MpvCheck | None = None) -> Config:
    """The validated config; raises ConfigError (with lines) and leaves the file alone."""
    return load_text(path, read_or_create(path), check_mpv)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def replace(path: Path, text: str, check_mpv: MpvCheck | None = None) -> Config:
    """Validate `text`, keep the current file as .bak, then write `text` atomically."""
    config = load_text(path, text, check_mpv)
    if path.exists():
        atomic_write(backup_path(path), path.read_bytes())
    atomic_write(path, text)
    return config
