"""The media cache on disk (docs/ARCHITECTURE.md, "The media cache"): per entry a sparse
data file `<hash>.media` holding the bytes at their own offsets, and a small metadata file
`<hash>.json` (written atomically) saying which ranges are present, how long the whole is,
whether it is complete, its checksum and the item's metadata. The metadata is read back
through a schema like every file ytplay wrote (tui/session/store/_read_back.py): an entry
whose metadata does not fit is removed, which costs a refetch and nothing else.

Everything here blocks: the store (_media_cache.py) calls it on its writer thread, or on a
worker thread for reads and checks."""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Annotated

import msgspec

from tui.config.atomic import SECRET, atomic_write, remove_abandoned_temps
from tui.session.store import Record, Seconds

log = logging.getLogger(__name__)

VERSION = 1
Offset = Annotated[int, msgspec.Meta(ge=0)]


class ItemMeta(Record, kw_only=True):
    """What the queue and Now Playing show of an item, kept so offline looks like online."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    duration: Seconds | None = None
    cover: str | None = None       # where its artwork is (QueueItem.cover)


class EntryRecord(Record, kw_only=True):
    """One `<hash>.json`."""

    version: Annotated[int, msgspec.Meta(ge=1, le=VERSION)] = VERSION
    ref: Annotated[str, msgspec.Meta(min_length=1)]
    length: Offset | None = None                 # the whole file's, once a response said
    ranges: list[tuple[Offset, Offset]] = msgspec.field(default_factory=list)
    complete: bool = False
    checksum: str | None = None    # "sha256:<hex>" or "md5:<hex>"
    checksum_from: str | None = None   # "source" (a header said) or "cache" (ours, at completion)
    etag: str | None = None        # the source's validator: another one means another file
    content_type: str | None = None
    pinned: bool = False
    last_used: Seconds = 0.0       # wall clock
    meta: ItemMeta = msgspec.field(default_factory=ItemMeta)


@functools.lru_cache(maxsize=4096)
def key_for(ref: str) -> str:
    """The file name stem of `ref`'s entry: a hash, so any reference (a URL, `name:id`, a
    path) is a safe name of fixed length and says nothing about what was played."""
    return hashlib.sha256(ref.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def data_path(root: Path, key: str) -> Path:
    return root / f"{key}.media"


def meta_path(root: Path, key: str) -> Path:
    return root / f"{key}.json"


IN_USE = ".in-use"


def hold(root: Path, *, alone: bool) -> int | None:
    """A lock on the cache folder (flock on `root/.in-use`): shared by every ytplay that
    plays from it, alone for `ytplay cache clear|verify`, which remove what a running
    ytplay may be playing or writing. The descriptor to close to let go; None where there
    are no such locks (not POSIX). Raises BlockingIOError when `alone` and a ytplay holds
    it, OSError when the folder cannot be made or the file opened."""
    if os.name != "posix":
        return None
    import fcntl

    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where the folder should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(root)) from None
    fd = os.open(root / IN_USE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if alone else fcntl.LOCK_SH)
    except BaseException:
        os.close(fd)
        raise
    return fd


def scan(root: Path) -> tuple[list[tuple[str, EntryRecord, int]], list[str]]:
    """Every entry in `root` as (key, record, the data file's size), and what was wrong
    and removed (unreadable metadata, data without metadata, leftover temp files)."""
    found: list[tuple[str, EntryRecord, int]] = []
    removed: list[str] = []
    try:
        with os.scandir(root) as listing:
            # Only files: a folder named like one of ours was not made by ytplay, and
            # neither reading nor removing it can work.
            names = sorted(e.name for e in listing if e.is_file())
    except FileNotFoundError:
        return found, removed
    removed += [p.name for p in remove_abandoned_temps(root)]
    stems = {n[:-5] for n in names if n.endswith(".json") and not n.startswith(".")}
    for name in names:
        if name.endswith(".media") and name[:-6] not in stems:
            drop_files(root, name[:-6])
            removed.append(f"{name} (no metadata)")
    for key in sorted(stems):
        try:
            record = msgspec.convert(json.loads(meta_path(root, key).read_bytes()), EntryRecord)
            if key_for(record.ref) != key:
                raise ValueError("named for another reference")
            limit = record.length if record.length is not None else float("inf")
            if any(not start <= end <= limit for start, end in record.ranges):
                raise ValueError("a range that is no span of the file")
        except (OSError, ValueError, msgspec.ValidationError, RecursionError) as e:
            drop_files(root, key)
            removed.append(f"{key}.json ({type(e).__name__})")
            continue
        try:
            size = data_path(root, key).stat().st_size
        except OSError:
            size = 0
        found.append((key, record, size))
    for what in removed:
        log.warning("media cache: removed %s", what)
    return found, removed


def write_meta(root: Path, key: str, record: EntryRecord, data_fd: int | None) -> None:
    """The metadata, after the data it describes is on disk: a crash may lose ranges just
    written (fetched again), never list bytes that are not there."""
    if data_fd is not None:
        os.fdatasync(data_fd)
    atomic_write(meta_path(root, key), msgspec.json.encode(record).decode(), new_mode=SECRET,
                 keep_mode=False)


def open_data(root: Path, key: str) -> int:
    root.mkdir(parents=True, exist_ok=True)
    return os.open(data_path(root, key), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, SECRET)


def write_at(fd: int, offset: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def read_at(root: Path, key: str, offset: int, size: int) -> bytes:
    fd = os.open(data_path(root, key), os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.pread(fd, size, offset)
    finally:
        os.close(fd)


def digest(root: Path, key: str, algorithm: str, length: int) -> str:
    """The hex digest of the first `length` bytes of the data file."""
    h = hashlib.new(algorithm)
    with data_path(root, key).open("rb") as f:
        left = length
        while left > 0:
            block = f.read(min(left, 1 << 20))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return h.hexdigest()


def checksum_matches(root: Path, key: str, checksum: str, length: int) -> bool:
    algorithm, _, want = checksum.partition(":")
    if algorithm not in ("sha256", "md5"):
        return True  # a kind we do not check: the length has to do
    return digest(root, key, algorithm, length) == want


def data_size(root: Path, key: str) -> int:
    try:
        return data_path(root, key).stat().st_size
    except FileNotFoundError:
        return 0


def drop_files(root: Path, key: str) -> None:
    for path in (data_path(root, key), meta_path(root, key)):
        try:
            path.unlink(missing_ok=True)
        except IsADirectoryError:
            pass  # not one of ours (scan reads past folders): left alone
