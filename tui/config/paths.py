"""Where ytplay keeps its files. Nothing is created on import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_path, user_config_path, user_data_path, user_log_path

APP = "ytplay"


def data_dir() -> Path:
    return user_data_path(APP, appauthor=False)


def log_dir() -> Path:
    return user_log_path(APP, appauthor=False)


def queue_file() -> Path:
    return data_dir() / "queue.json"


def tokens_file() -> Path:
    return data_dir() / "tokens.json"


def default_config_file() -> Path:
    return user_config_path(APP, appauthor=False) / "config.toml"


def config_file() -> Path:
    """`$YTPLAY_CONFIG`, else config.toml in the user config dir."""
    return locate_config(None).path


@dataclass(frozen=True)
class ConfigLocation:
    """The config file and who chose it, so an error can say what to change."""

    path: Path
    named_by: str | None  # "--config", "YTPLAY_CONFIG", or None: the default location


def locate_config(option: str | None) -> ConfigLocation:
    """`--config` (given as `option`), else `$YTPLAY_CONFIG`, else the default location."""
    if option:
        return ConfigLocation(Path(option), "--config")
    override = os.environ.get("YTPLAY_CONFIG")
    if override:
        return ConfigLocation(Path(override), "YTPLAY_CONFIG")
    return ConfigLocation(default_config_file(), None)


def playlists_dir() -> Path:
    return data_dir() / "playlists"


def history_file() -> Path:
    return data_dir() / "history.jsonl"


def covers_dir() -> Path:
    """Cover art, fetched or taken out of media files: a cache, safe to delete."""
    return user_cache_path(APP, appauthor=False) / "covers"


def media_cache_dir() -> Path:
    """What the proxy relayed, kept by byte range (`[cache]`): a cache, safe to delete
    (except that downloads kept there are fetched again)."""
    return user_cache_path(APP, appauthor=False) / "media"
