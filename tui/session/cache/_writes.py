"""The media cache's writes (docs/ARCHITECTURE.md, "The media cache"): every write to disk —
byte ranges, metadata saves, checksums at completion, removals — on one writer thread, in
the order asked, so the writes of one entry never overtake each other. A range counts as
present in the bookkeeping (_index.py) only once its bytes are written.
A write that fails (disk full, read-only, quota, permissions) stops all writing for the
run, with one notice; playback never notices."""

from __future__ import annotations

import errno
import logging
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from tui.core.ranges import Ranges

from . import _files as files
from ._files import EntryRecord, ItemMeta
from ._index import MediaIndex
from ._news import MediaNews

log = logging.getLogger(__name__)

FLUSH_EVERY = 4 << 20       # bytes written between metadata saves
MAX_PENDING = 32 << 20      # bytes queued for the writer thread; more are not cached
_UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.EFBIG, errno.EIO}


class MediaWrites:
    def __init__(self, root: Path, index: MediaIndex, news: MediaNews,
                 room: Callable[[str, int], bool]) -> None:
        """`room(key, need)`: whether `need` bytes, those queued included, fit under the cap
        (the cache evicts what may go to make them fit)."""
        self.root = root
        self.index = index
        self.news = news
        self.room = room
        self.bypassed: str | None = None     # why writing stopped, once it did
        self.pending = 0                      # bytes queued for the writer thread
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="media-cache")
        self._fds: dict[str, int] = {}        # writer thread only

    def writer(self, ref: str, offset: int, *, length: int | None,
               content_type: str | None, checksum: str | None,
               etag: str | None) -> RangeWriter | None:
        """Something to hand the bytes of `ref` from `offset` on, as they are relayed; None
        when writing stopped. A different length or ETag than the entry's means the source
        changed the file: what was cached of it is dropped first."""
        if self.bypassed is not None:
            return None
        key = files.key_for(ref)
        with self.index.lock:
            e = self.index.get(key)
            if e is not None and e.ranges.total and (
                    (length is not None and e.record.length not in (None, length))
                    or (etag and e.record.etag and etag != e.record.etag)):
                self.drop(key, self.index.discard(key))
                e = self.index.get(key)  # a pinned one stays, empty
            if e is None:
                e = self.index.create(key, ref)
            if e.record.complete:
                return None  # nothing to add
            update: dict[str, object] = {"last_used": time.time()}
            if length is not None:
                update["length"] = length
            if content_type:
                update["content_type"] = content_type
            if checksum and e.record.checksum_from != "source":
                update.update(checksum=checksum, checksum_from="source")
            if etag:
                update["etag"] = etag
            self.index.update(key, **update)
            self.index.hold(ref)
        return RangeWriter(self, ref, key, offset)

    # --- asked on the loop ----------------------------------------------------------------

    def queue(self, key: str, offset: int, data: bytes) -> bool:
        """Queue `data` for the writer thread; False (nothing queued) when it does not fit."""
        with self.index.lock:
            if self.bypassed is not None or self.index.get(key) is None:
                return False
            if self.pending + len(data) > MAX_PENDING \
                    or not self.room(key, self.pending + len(data)):
                return False
            self.pending += len(data)
        self._pool.submit(self._write_sync, key, offset, data)
        return True

    def save(self, key: str, *, final: bool = False) -> None:
        """Save `key`'s metadata once its queued data is written (completing it if every
        byte is there); `final`: its writer is done, close the data file."""
        if self.bypassed is None:
            self._pool.submit(self._finish_sync, key, final)

    def done(self, ref: str, key: str) -> None:
        """A writer of `ref` is done: the entry is no longer held for it; its metadata is
        saved and its data file closed."""
        self.index.release(ref)
        self.save(key, final=True)

    def drop(self, key: str, keep: EntryRecord | None = None) -> "Future[None]":
        """Remove an entry's files (its bookkeeping is gone already); save `keep`, a pinned
        entry's emptied record."""
        return self._pool.submit(self._drop_files_sync, key, keep)

    def flush_now(self) -> None:
        """Blocking: wait until every write asked for so far is on disk."""
        self._pool.submit(lambda: None).result()

    def close(self) -> None:
        """Blocking: finish the writes queued, save every entry's metadata, stop the thread."""
        for key in list(self._fds):
            self._pool.submit(self._finish_sync, key, True)
        self._pool.shutdown(wait=True)

    # --- on the writer thread -------------------------------------------------------------

    def _write_sync(self, key: str, offset: int, data: bytes) -> None:
        try:
            if self.bypassed is None:
                fd = self._fds.get(key)
                if fd is None:
                    fd = self._fds[key] = files.open_data(self.root, key)
                files.write_at(fd, offset, data)
                self.index.add_range(key, offset, offset + len(data))
        except OSError as error:
            self.unwritable(error)
        finally:
            with self.index.lock:
                self.pending -= len(data)

    def _finish_sync(self, key: str, final: bool) -> None:
        try:
            with self.index.lock:
                e = self.index.get(key)
                if e is None:
                    return
                record, ranges = e.record, Ranges(e.ranges.spans())
            length = record.length
            update: dict[str, object] = {"ranges": ranges.spans()}
            if not record.complete and length and ranges.covers(0, length):
                update.update(self._completion(key, record, length))
            if self.bypassed is not None:
                return
            with self.index.lock:
                if self.index.get(key) is not e:
                    return  # dropped or replaced meanwhile
                record = self.index.update(key, **update) or record
            if update.get("complete") is False:  # the bytes did not check out
                self._drop_files_sync(key, self.index.discard(key))
            elif final and self.index.forget_empty(key) is not None:
                self._drop_files_sync(key, None)  # its last writer wrote nothing
            elif record.ranges or record.pinned or record.meta != ItemMeta():
                files.write_meta(self.root, key, record, self._fds.get(key))
            self.news.changed(record.ref)
        except OSError as error:
            self.unwritable(error)
        finally:
            if final and (fd := self._fds.pop(key, None)) is not None:
                _close(fd)

    def _completion(self, key: str, record: EntryRecord, length: int) -> dict[str, object]:
        """Every byte is there: check it against the source's checksum, or take our own
        for later checks."""
        if files.data_size(self.root, key) != length:
            return {"complete": False}
        if record.checksum is not None and record.checksum_from == "source":
            if not files.checksum_matches(self.root, key, record.checksum, length):
                log.warning("media cache: %s does not match its source's checksum; dropped",
                            key)
                return {"complete": False}
            return {"complete": True}
        return {"complete": True, "checksum_from": "cache",
                "checksum": "sha256:" + files.digest(self.root, key, "sha256", length)}

    def _drop_files_sync(self, key: str, keep: EntryRecord | None) -> None:
        fd = self._fds.pop(key, None)
        if fd is not None:
            _close(fd)
        try:
            files.drop_files(self.root, key)
            if keep is not None:
                files.write_meta(self.root, key, keep, None)
        except OSError as error:
            log.warning("media cache: could not remove %s: %s", key, error)

    def unwritable(self, error: OSError, doing: str = "write to") -> None:
        """Stop writing, and say so once (the writer thread, or the folder's first read)."""
        with self.index.lock:
            if self.bypassed is not None:
                return
            reason = error.strerror or str(error) if error.errno in _UNWRITABLE else str(error)
            self.bypassed = reason
        text = (f"media cache: cannot {doing} {self.root} ({reason}); playing without "
                "caching until ytplay restarts")
        log.warning("%s", text)
        self.news.call_soon(self.news.notify, text)


class RangeWriter:
    """The bytes of one response, from `offset` on, handed over as they are relayed. Never
    blocks: each chunk is queued for the writer thread; a chunk that does not fit (the cap,
    too much queued, the cache bypassed) ends this writer's caching, and what came before it
    is kept."""

    def __init__(self, writes: MediaWrites, ref: str, key: str, offset: int) -> None:
        self.writes = writes
        self.ref = ref
        self.key = key
        self.offset = offset
        self._since_flush = 0
        self._open = True
        self._writing = True

    def write(self, chunk: bytes) -> None:
        if self._writing and chunk:
            self._writing = self.writes.queue(self.key, self.offset, bytes(chunk))
            self._since_flush += len(chunk)
            if self._since_flush >= FLUSH_EVERY:
                self._since_flush = 0
                self.writes.save(self.key)
        self.offset += len(chunk)

    def close(self) -> None:
        """The response ended (whole, cut or abandoned): save what was written."""
        if not self._open:
            return
        self._open = False
        self.writes.done(self.ref, self.key)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
