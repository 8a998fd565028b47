"""Reading and replacing config.toml. The file is only ever replaced by a text that
validates, atomically, with the previous version kept as config.toml.bak. It may hold
passwords: a new one is 0600, and a replaced one (and its .bak) keeps the mode it had."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.errors import YtplayError

from .atomic import SECRET, atomic_write, copy_atomic, remove_abandoned_temps

# The schema, its defaults and its validation are imported where a config is
# read or written: `clean_up` runs before ytplay's first frame, which needs none of them.
if TYPE_CHECKING:
    from .schema import Config
    from .validate import MpvCheck


class Trouble(enum.Enum):
    """Why the config file cannot be used at all (before its contents are looked at)."""

    NO_FOLDER = "no folder"
    IS_FOLDER = "a folder"
    UNREADABLE = "unreadable"
    UNWRITABLE = "unwritable"
    NOT_UTF8 = "not UTF-8"


class ConfigFileError(YtplayError):
    """The file itself is the problem. The message says what is wrong; what to do depends
    on how the path was chosen, so the command line adds that (config_cli.explain)."""

    def __init__(self, path: Path, trouble: Trouble, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.trouble = trouble


class ChangedOnDisk(YtplayError):
    """The file is not the text an edit started from: someone else changed it meanwhile.
    `text` is what it holds now ("" when it is gone)."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__(f"{path} changed on disk since it was read")
        self.path = path
        self.text = text


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _read(path: Path) -> str | None:
    """The text, or None when there is no file; every other failure as ConfigFileError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigFileError(path, Trouble.IS_FOLDER,
                              f"{path} is a folder, not a config file") from None
    except OSError as e:
        raise ConfigFileError(path, Trouble.UNREADABLE,
                              f"the config file {path} cannot be read ({e.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise ConfigFileError(path, Trouble.NOT_UTF8,
                              f"the config file {path} is not UTF-8 text (byte "
                              f"0x{data[e.start]:02x} on line {line})") from None


def read(path: Path) -> str | None:
    """The file's text, or None when there is none; nothing is created (`ytplay doctor`
    looks without touching)."""
    return _read(path)


def writable_place(path: Path, make_folder: bool) -> None:
    """Refuse a path that names a folder, or (unless `make_folder`) one whose folder is
    missing: a path the user named with a missing folder is more likely a typo."""
    if path.is_dir():
        raise ConfigFileError(path, Trouble.IS_FOLDER, f"{path} is a folder, not a config file")
    if not make_folder and not path.parent.is_dir():
        raise ConfigFileError(path, Trouble.NO_FOLDER,
                              f"there is no config file at {path}, and no folder "
                              f"{path.parent} to write one in")


def _write(path: Path, text: str) -> None:
    try:
        atomic_write(path, text, new_mode=SECRET)
    except OSError as e:
        raise ConfigFileError(path, Trouble.UNWRITABLE,
                              f"the config file {path} cannot be written "
                              f"({e.strerror})") from None


def read_or_create(path: Path, *, make_folder: bool = True) -> str:
    """The file's text; on first run, the commented defaults are written first (0600).
    `make_folder`: create a missing folder (the default location) or refuse (a path the
    user named)."""
    text = _read(path)
    if text is None:
        writable_place(path, make_folder)
        from .defaults import default_text

        text = default_text()
        _write(path, text)
    return text


def load(path: Path, check_mpv: MpvCheck | None = None, *, make_folder: bool = True) -> Config:
    """The validated config; raises ConfigError (with lines) or ConfigFileError, and leaves
    the file alone."""
    from .validate import load_text

    return load_text(path, read_or_create(path, make_folder=make_folder), check_mpv)


def _keep_backup(path: Path) -> None:
    """The file, as .bak; unless it holds just the defaults and a .bak is there already: a
    second `config reset` (or a save over a reset file) replaced the person's own file,
    kept by the first, with a copy of the defaults, which `config reset` writes again at
    will. One .bak, not numbered ones: each would be another copy of the passwords a config
    may hold, and someone would have to prune them."""
    if not path.exists():
        return
    if backup_path(path).exists():
        from .defaults import default_text

        if path.read_text("utf-8", errors="replace") == default_text():
            return
    copy_atomic(path, backup_path(path))


def replace(path: Path, text: str, check_mpv: MpvCheck | None = None, *,
            expected: str | None = None) -> Config:
    """Validate `text`, keep the current file as .bak, then write `text` atomically.
    `expected`: the text the edit started from; when the file no longer holds it, nothing
    is written and ChangedOnDisk says what it holds instead."""
    from .validate import load_text

    config = load_text(path, text, check_mpv)
    if expected is not None and (now := _read(path) or "") != expected:
        raise ChangedOnDisk(path, now)
    _keep_backup(path)
    atomic_write(path, text, new_mode=SECRET)
    return config


def reset(path: Path, *, make_folder: bool = True) -> None:
    """Back to the commented defaults, the current file kept as .bak."""
    writable_place(path, make_folder)
    _keep_backup(path)
    from .defaults import default_text

    _write(path, default_text())


def clean_up(path: Path) -> list[Path]:
    """Remove what killed saves of the config (or its .bak) left beside it."""
    return remove_abandoned_temps(path.parent, {path.name, backup_path(path).name})
