"""The config file (does it validate?) and the folders ytplay writes in (can it?)."""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

from tui.config.paths import ConfigLocation, covers_dir, data_dir, log_dir, media_cache_dir
from tui.config.schema import Config
from tui.config.store import ConfigFileError, read
from tui.config.validate import validate_text
from tui.runtime_config import mpv_check

from .report import Line, error, ok


def read_config(where: ConfigLocation, edit: str) -> tuple[Config, list[Line]]:
    """The config to check the rest with (the defaults when the file is broken), and the
    line about the file. The file is only read, never created or changed."""
    path = where.path
    try:
        text = read(path)
    except ConfigFileError as e:
        from tui.config_cli import remedy

        return Config(), [error("config", str(e), remedy(e, where))]
    if text is None:
        return Config(), [ok("config", f"no file at {path} yet: the defaults apply (ytplay "
                             "writes them there at its first start)")]
    config, issues = validate_text(text, mpv_check())
    if config is None:
        first = issues[0].render(path)
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        return Config(), [error("config", f"{first}{more}", edit)]
    return config, [ok("config", f"{path} is valid")]


def _writable(folder: Path) -> str | None:
    """Why `folder` cannot hold ytplay's files, or None when it can: made if missing, and
    a file written and removed in it, as ytplay will."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".ytplay-doctor-"):
            pass
    except OSError as e:
        blocker = next((p for p in [folder, *folder.parents] if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            return f"{blocker} is a file, not a folder"
        return f"{e.strerror or e}"
    return None


def check_folders(config: Config, edit: str) -> list[Line]:
    log_file = Path(config.log.file).expanduser() if config.log.file else None
    cache = Path(config.cache.dir).expanduser() if config.cache.dir else media_cache_dir()
    folders = [
        ("log folder", log_file.parent if log_file else log_dir(),
         "[log] file" if log_file else None),
        ("media cache folder", cache, "[cache] dir" if config.cache.dir else None),
        ("cover cache folder", covers_dir(), None),
        ("data folder", data_dir(), None),
    ]
    lines = []
    for what, folder, setting in folders:
        why = _writable(folder)
        if why is None:
            lines.append(ok(what, f"{folder} is writable"))
            continue
        fix = (f"{edit}  (set {setting} to a place you can write)" if setting else
               f"mkdir -p {shlex.quote(str(folder))} && chmod u+rwx {shlex.quote(str(folder))}")
        lines.append(error(what, f"{folder} cannot be written: {why}", fix))
    return lines
