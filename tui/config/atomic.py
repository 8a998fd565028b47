"""Atomic file replacement: a reader (or a crash) sees the old file or the new, never half.

The new file keeps the mode of the file it replaces (a config made 0600 because it holds a
password stays 0600); a file that did not exist gets `new_mode`, 0600 for secrets.

A save killed half-way leaves its temp file behind. Each writer holds an flock on its temp
file while it writes, so `remove_abandoned_temps` can tell a dead writer's leftover (no one
holds the lock: the kernel dropped it with the process) from another ytplay's save in
progress, without guessing from ages."""

from __future__ import annotations

import fcntl
import os
import re
import stat
import tempfile
from pathlib import Path

SECRET = 0o600
NEW_FILE = 0o644

# mkstemp's names below: "." + the target's name + "." + 8 random characters + ".tmp".
_TEMP = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def _locked_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside `path`, created and flocked. A sweeper that found it between
    the two (unlocked, so it looked abandoned) may have unlinked it: then take another."""
    while True:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        os.close(fd)


def atomic_write(path: Path, data: bytes | str, *, new_mode: int = NEW_FILE,
                 keep_mode: bool = True) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename it over `path`.
    The result has `path`'s current mode when `keep_mode` and it exists, else `new_mode`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = new_mode
    if keep_mode:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            pass
    fd, tmp = _locked_temp(path)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:  # closing it releases the lock, after the rename
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The rename itself must reach the disk too.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def copy_atomic(source: Path, target: Path) -> None:
    """`target` becomes a copy of `source`, with `source`'s mode (a backup of a secret file
    is as secret as the file)."""
    data = source.read_bytes()
    atomic_write(target, data, new_mode=stat.S_IMODE(source.stat().st_mode), keep_mode=False)


def remove_abandoned_temps(folder: Path, targets: set[str] | None = None) -> list[Path]:
    """Delete the temp files of saves that were killed, in `folder`: those of the files
    named in `targets`, or of any file when `targets` is None (a folder only ytplay writes
    in). A temp whose writer is still alive is left alone. Returns what was removed."""
    removed: list[Path] = []
    try:
        candidates = list(folder.iterdir())
    except OSError:
        return removed  # no folder yet, or not ours to read: nothing to clean
    for tmp in candidates:
        m = _TEMP.match(tmp.name)
        if m is None or (targets is not None and m.group("target") not in targets):
            continue
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            continue  # locked: a save in progress (or gone already)
        finally:
            os.close(fd)
    return removed
