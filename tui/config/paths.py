"""Where ytplay keeps its files. Nothing is created on import."""

from __future__ import annotations

from pathlib import Path

import os

from platformdirs import user_config_path, user_data_path, user_log_path

APP = "ytplay"


def data_dir() -> Path:
    return user_data_path(APP, appauthor=False)


def log_dir() -> Path:
    return user_log_path(APP, appauthor=False)


def queue_file() -> Path:
    return data_dir() / "queue.json"


def tokens_file() -> Path:
    return data_dir() / "tokens.json"


def config_file() -> Path:
    """`$YTPLAY_CONFIG`, else config.toml in the user config dir."""
    override = os.environ.get("YTPLAY_CONFIG")
    return Path(override) if override else user_config_path(APP, appauthor=False) / "config.toml"


def playlists_dir() -> Path:
    return data_dir() / "playlists"


def history_file() -> Path:
    return data_dir() / "history.jsonl"
