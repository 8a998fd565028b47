"""What the UI needs from whoever owns the config (the composition root provides it)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from tui.config.schema import Config
from tui.config.validate import Issue


class ConfigHost(Protocol):
    path: Path
    config: Config

    def read(self) -> str: ...
    def validate(self, text: str) -> tuple[Config | None, list[Issue]]: ...

    def save(self, text: str, expected: str | None = None) -> Config:
        """Replace the file atomically (raises ConfigError when `text` does not validate,
        ChangedOnDisk when the file no longer holds `expected`, the text edited)."""

    def apply(self, config: Config) -> list[str]:
        """Apply a new config to the running session; notes for the user."""
