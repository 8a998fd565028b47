"""The media cache: what the proxy relayed, kept on disk by byte range, keyed by the queue
item's reference (never the expiring URL), so a track heard once plays again with no
resolve, no token and no network (docs/ARCHITECTURE.md, "The media cache").

    cache = MediaCache(root, max_size, notify=log_line)
    cache.load()                          # blocking: read the folder (once, at start)
    cache.lookup(ref)                     # -> EntryInfo: ABSENT, PARTIAL (share) or COMPLETE
    w = cache.writer(ref, offset, length=…, content_type=…, checksum=…, etag=…)
    w.write(chunk); …; w.close()          # on the loop, never blocks; None when bypassed
    cache.run_end(ref, offset)            # where the present run holding `offset` ends
    await cache.read(ref, offset, size)   # bytes from the file, read on a worker thread
    await cache.playable(ref)             # a complete entry that passed its checks, or None
    cache.pin(ref) / unpin / is_pinned    # downloads: never evicted (kept on disk)
    cache.hold(ref) / release             # what plays or is relayed: never evicted
    cache.describe(ref, ItemMeta(…))      # title, artist, … kept with the entry
    cache.size(), cache.entries(), cache.verify_now(ref), cache.clear_now(), evict_to_cap()

Threads: every write to disk (data, metadata, removals) runs on one writer thread, in the
order asked, so the writes of one entry never overtake each other; reads and checksum
checks run on the loop's default executor. The bookkeeping (which ranges are present) is
shared between the loop and the writer thread under one lock, and a range counts as present
only once its bytes are written. A cache that cannot be written (disk full, read-only,
quota, permissions) is bypassed from then on, with one notice; playback never notices.
The `*_now` methods block and are for the command line, where no loop runs.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tui.core.ranges import Ranges, Usage, share, to_evict

from . import media_files as files
from .media_files import EntryRecord, ItemMeta

log = logging.getLogger(__name__)

FLUSH_EVERY = 4 << 20       # bytes written between metadata saves
MAX_PENDING = 32 << 20      # bytes queued for the writer thread; more are not cached
_UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.EFBIG, errno.EIO}


class CacheState(enum.Enum):
    ABSENT = "absent"
    PARTIAL = "partial"
    COMPLETE = "complete"


@dataclass(frozen=True)
class EntryInfo:
    """One entry as the rest of ytplay sees it (a copy: safe to keep)."""

    ref: str
    state: CacheState
    length: int | None = None       # the whole file's bytes, when known
    cached: int = 0                 # bytes present
    share: float = 0.0              # cached / length, 0..1
    pinned: bool = False
    content_type: str | None = None
    meta: ItemMeta = field(default_factory=ItemMeta)
    last_used: float = 0.0


@dataclass
class _Entry:
    key: str
    record: EntryRecord
    ranges: Ranges
    flushed: int = 0                # bytes present when the metadata was last saved

    @property
    def complete(self) -> bool:
        return self.record.complete


class MediaCache:
    def __init__(self, root: Path, max_size: int, *, enabled: bool = True,
                 notify: Callable[[str], None] | None = None) -> None:
        """`notify`: told once, on the loop, when the cache stops being written."""
        self.root = root
        self.max_size = max_size
        self.enabled = enabled
        self.notify = notify or (lambda text: None)
        self.bypassed: str | None = None     # why writing stopped, once it did
        # Re-entrant: with no loop (the command line) a listener told of a change runs at
        # once and may look the cache up.
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._holds: dict[str, int] = {}
        self._described: dict[str, ItemMeta] = {}
        self._pending = 0                     # bytes queued for the writer thread
        self._size = 0                        # bytes the entries hold (what the cap counts)
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="media-cache")
        self._fds: dict[str, int] = {}        # writer thread only
        self._verified: set[tuple[str, int, int]] = set()   # (key, size, mtime_ns) this run
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loading: asyncio.Future[list[str]] | None = None
        self._loaded = False
        self.listeners: list[Callable[[str], None]] = []    # told a ref's state changed

    # --- reading the folder ---------------------------------------------------------------

    async def ready(self) -> list[str]:
        """Read the folder on a worker thread, once (every caller waits for the same read);
        what was broken and removed."""
        if self._loaded:
            return []
        self._loop = asyncio.get_running_loop()
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(self.load))
        return await asyncio.shield(self._loading)

    def load(self) -> list[str]:
        """Read what is on disk (blocking); what was broken and removed, as notices."""
        if self._loaded:
            return []
        self._loaded = True
        found, removed = files.scan(self.root)
        with self._lock:
            for key, record, size in found:
                ranges = Ranges(record.ranges)
                if size < ranges.run_end(0) or any(e > size for _s, e in ranges.spans()):
                    # Bytes listed beyond the file's end: a truncated file. Keep what is there.
                    kept = Ranges()
                    for s, e in ranges.spans():
                        if s < size:
                            kept.add(s, min(e, size))
                    ranges = kept
                    record = record.model_copy(update={"complete": False,
                                                       "ranges": ranges.spans()})
                self._entries[key] = _Entry(key, record, ranges, ranges.total)
                self._size += ranges.total
        return removed

    # --- what is there --------------------------------------------------------------------

    def lookup(self, ref: str) -> EntryInfo:
        with self._lock:
            e = self._entries.get(files.key_for(ref))
            return self._info(ref, e)

    def _info(self, ref: str, e: _Entry | None) -> EntryInfo:
        if e is None:
            return EntryInfo(ref, CacheState.ABSENT)
        r = e.record
        cached = e.ranges.total
        state = CacheState.COMPLETE if r.complete else \
            CacheState.PARTIAL if cached else CacheState.ABSENT
        return EntryInfo(r.ref, state, r.length, cached, 1.0 if r.complete else
                         share(e.ranges, r.length), r.pinned, r.content_type, r.meta,
                         r.last_used)

    def entries(self) -> list[EntryInfo]:
        with self._lock:
            return [self._info(e.record.ref, e) for e in self._entries.values()]

    def size(self) -> int:
        """Bytes the entries hold (what the cap counts)."""
        with self._lock:
            return self._size

    def run_end(self, ref: str, offset: int) -> int:
        """One past the last cached byte of the run that holds `offset` (`offset` when that
        byte is not cached)."""
        with self._lock:
            e = self._entries.get(files.key_for(ref))
            return offset if e is None else e.ranges.run_end(offset)

    def length(self, ref: str) -> int | None:
        with self._lock:
            e = self._entries.get(files.key_for(ref))
            return None if e is None else e.record.length

    async def read(self, ref: str, offset: int, size: int) -> bytes:
        """Cached bytes (the caller checked they are present with `run_end`)."""
        return await asyncio.to_thread(files.read_at, self.root, files.key_for(ref),
                                       offset, size)

    async def playable(self, ref: str) -> EntryInfo | None:
        """`ref`'s entry if it is complete and passes its checks: the file as long as it
        should be and, once a run, its checksum. A broken one is dropped (so it is fetched
        again) and None returned."""
        if not self.enabled:
            return None
        await self.ready()
        key = files.key_for(ref)
        with self._lock:
            e = self._entries.get(key)
            if e is None or not e.complete:
                return None
        # Checked already this run and unchanged since (one stat): no worker thread needed.
        ok = self._checked(key) or await asyncio.to_thread(self._check, key, e)
        if not ok:
            log.warning("media cache: %s failed its check; dropped, it will be fetched again",
                        key)
            with self._lock:
                keep = self._discard(key)
            await self._run(self._drop_files_sync, key, keep)
            self._changed(ref)
            return None
        self.touch(ref)
        return self.lookup(ref)

    def _checked(self, key: str) -> bool:
        try:
            st = files.data_path(self.root, key).stat()
        except FileNotFoundError:
            return False
        return (key, st.st_size, st.st_mtime_ns) in self._verified

    def _check(self, key: str, e: _Entry) -> bool:
        length = e.record.length
        try:
            st = files.data_path(self.root, key).stat()
        except FileNotFoundError:
            return False
        if length is None or st.st_size != length:
            return False
        stamp = (key, st.st_size, st.st_mtime_ns)
        if stamp in self._verified:
            return True
        if e.record.checksum is not None and not files.checksum_matches(
                self.root, key, e.record.checksum, length):
            return False
        self._verified.add(stamp)
        return True

    def verify_now(self, ref: str) -> bool | None:
        """Blocking: check a complete entry fully (length, checksum), dropping it when
        broken. None when there is no complete entry."""
        key = files.key_for(ref)
        with self._lock:
            e = self._entries.get(key)
        if e is None or not e.complete:
            return None
        # A full check: the stamp of an earlier one is not trusted.
        self._verified = {s for s in self._verified if s[0] != key}
        ok = self._check(key, e)
        if not ok:
            with self._lock:
                keep = self._discard(key)
            self._writes.submit(self._drop_files_sync, key, keep).result()
        return ok

    # --- metadata, use, pins --------------------------------------------------------------

    def describe(self, ref: str, meta: ItemMeta) -> None:
        """The item's title, artist, … kept with its entry (now, or once it has one)."""
        key = files.key_for(ref)
        with self._lock:
            e = self._entries.get(key)
            if e is None:
                self._described[ref] = meta
                return
            e.record = e.record.model_copy(update={"meta": meta})
        self._save(key)

    def touch(self, ref: str) -> None:
        key = files.key_for(ref)
        with self._lock:
            e = self._entries.get(key)
            if e is not None:
                e.record = e.record.model_copy(update={"last_used": time.time()})

    def pin(self, ref: str) -> None:
        """Keep `ref` whatever the cap (a download); it gets an entry if it has none."""
        self._set_pinned(ref, True)

    def unpin(self, ref: str) -> None:
        self._set_pinned(ref, False)

    def is_pinned(self, ref: str) -> bool:
        with self._lock:
            e = self._entries.get(files.key_for(ref))
            return e is not None and e.record.pinned

    def _set_pinned(self, ref: str, pinned: bool) -> None:
        key = files.key_for(ref)
        with self._lock:
            e = self._entries.get(key) or self._new(key, ref)
            e.record = e.record.model_copy(update={"pinned": pinned})
        self._save(key)

    def hold(self, ref: str) -> None:
        """`ref` plays or is being relayed: not evicted until released (counted)."""
        with self._lock:
            self._holds[ref] = self._holds.get(ref, 0) + 1

    def release(self, ref: str) -> None:
        with self._lock:
            n = self._holds.get(ref, 0) - 1
            if n > 0:
                self._holds[ref] = n
            else:
                self._holds.pop(ref, None)

    def _new(self, key: str, ref: str) -> _Entry:
        """A new, empty entry (under the lock)."""
        meta = self._described.pop(ref, ItemMeta())
        e = _Entry(key, EntryRecord(ref=ref, meta=meta, last_used=time.time()), Ranges())
        self._entries[key] = e
        return e

    # --- writing --------------------------------------------------------------------------

    def writer(self, ref: str, offset: int, *, length: int | None,
               content_type: str | None = None, checksum: str | None = None,
               etag: str | None = None) -> RangeWriter | None:
        """Something to hand the bytes of `ref` from `offset` on, as they are relayed; None
        when the cache is off or bypassed. A different length or ETag than the entry's
        means the source changed the file: what was cached of it is dropped first."""
        if not self.enabled or self.bypassed is not None:
            return None
        self._loop = asyncio.get_running_loop()
        key = files.key_for(ref)
        with self._lock:
            e = self._entries.get(key)
            if e is not None and e.ranges.total and (
                    (length is not None and e.record.length not in (None, length))
                    or (etag and e.record.etag and etag != e.record.etag)):
                self._writes.submit(self._drop_files_sync, key, self._discard(key))
                e = self._entries.get(key) or self._new(key, ref)  # a pinned one stays, empty
            elif e is None:
                e = self._new(key, ref)
            if e.complete:
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
            e.record = e.record.model_copy(update=update)
            self._holds[ref] = self._holds.get(ref, 0) + 1
        return RangeWriter(self, ref, key, offset)

    def _room(self, key: str, size: int) -> bool:
        """Whether `size` more bytes fit under the cap, evicting what may go (under the
        lock). What is held or pinned is never evicted."""
        total = self._size + self._pending
        if total + size <= self.max_size:
            return True
        keep = frozenset(files.key_for(r) for r in self._holds) | {key} | frozenset(
            k for k, e in self._entries.items() if e.record.pinned)
        usage = [Usage(k, e.ranges.total, e.record.last_used) for k, e in self._entries.items()]
        for victim in to_evict(usage, max(0, self.max_size - self._pending - size), keep):
            size = self._entries[victim].ranges.total
            self._changed(self._entries[victim].record.ref)
            self._discard(victim)
            total -= size
            self._writes.submit(self._drop_files_sync, victim, None)
            log.info("media cache: evicted %s (%d bytes)", victim, size)
        return total + size <= self.max_size

    def evict_to_cap(self) -> list[str]:
        """Drop least recently used entries until the cache fits its cap; the refs dropped."""
        with self._lock:
            before = {k: e.record.ref for k, e in self._entries.items()}
            self._room("", 0)
            return [ref for k, ref in before.items() if k not in self._entries]

    def _queue_write(self, key: str, offset: int, data: bytes) -> bool:
        with self._lock:
            if self.bypassed is not None or key not in self._entries:
                return False
            if self._pending + len(data) > MAX_PENDING or not self._room(key, len(data)):
                return False
            self._pending += len(data)
        self._writes.submit(self._write_sync, key, offset, data)
        return True

    def _write_sync(self, key: str, offset: int, data: bytes) -> None:
        try:
            if self.bypassed is None:
                fd = self._fds.get(key)
                if fd is None:
                    fd = self._fds[key] = files.open_data(self.root, key)
                files.write_at(fd, offset, data)
                with self._lock:
                    e = self._entries.get(key)
                    if e is not None:
                        before = e.ranges.total
                        e.ranges.add(offset, offset + len(data))
                        self._size += e.ranges.total - before
        except OSError as error:
            self._unwritable(error)
        finally:
            with self._lock:
                self._pending -= len(data)

    def _finish_sync(self, key: str, final: bool) -> None:
        """Save the metadata of `key` (after its data); complete it if every byte is there
        and it checks out. `final`: its writer is done, close the data file."""
        try:
            with self._lock:
                e = self._entries.get(key)
                if e is None:
                    return
                record, ranges = e.record, Ranges(e.ranges.spans())
            length = record.length
            update: dict[str, object] = {"ranges": ranges.spans()}
            if not record.complete and length and ranges.covers(0, length):
                update.update(self._completion(key, record, length))
            if self.bypassed is not None:
                return
            with self._lock:
                if self._entries.get(key) is not e:
                    return  # dropped or replaced meanwhile
                e.record = record = e.record.model_copy(update=update)
                e.flushed = ranges.total
            if update.get("complete") is False:  # the bytes did not check out
                with self._lock:
                    keep = self._discard(key)
                self._drop_files_sync(key, keep)
            elif record.ranges or record.pinned or record.meta != ItemMeta():
                files.write_meta(self.root, key, record, self._fds.get(key))
            self._changed(record.ref)
        except OSError as error:
            self._unwritable(error)
        finally:
            if final and (fd := self._fds.pop(key, None)) is not None:
                _close(fd)

    def _completion(self, key: str, record: EntryRecord, length: int) -> dict[str, object]:
        """Every byte is there: check it against the source's checksum, or take our own
        for later checks. Writer thread."""
        if files.data_size(self.root, key) != length:
            return {"complete": False, "ranges": []}
        if record.checksum is not None and record.checksum_from == "source":
            if not files.checksum_matches(self.root, key, record.checksum, length):
                log.warning("media cache: %s does not match its source's checksum; dropped",
                            key)
                return {"complete": False, "ranges": []}
            return {"complete": True}
        return {"complete": True, "checksum_from": "cache",
                "checksum": "sha256:" + files.digest(self.root, key, "sha256", length)}

    def _save(self, key: str) -> None:
        if self.bypassed is None and self.enabled:
            self._writes.submit(self._finish_sync, key, False)

    def _unwritable(self, error: OSError) -> None:
        """Writer thread: stop writing, and say so once."""
        with self._lock:
            if self.bypassed is not None:
                return
            reason = error.strerror or str(error) if error.errno in _UNWRITABLE else str(error)
            self.bypassed = reason
        text = (f"media cache: cannot write to {self.root} ({reason}); playing without "
                "caching until ytplay restarts")
        log.warning("%s", text)
        self._call_soon(self.notify, text)

    # --- removing -------------------------------------------------------------------------

    def _discard(self, key: str, *, unpin: bool = False) -> EntryRecord | None:
        """Forget what `key` holds (under the lock). A pinned entry stays, empty (a download
        fetches it again), unless `unpin`: its record, to be saved again, is returned."""
        e = self._entries.pop(key, None)
        if e is None:
            return None
        self._size -= e.ranges.total
        if unpin or not e.record.pinned:
            return None
        record = e.record.model_copy(update={"ranges": [], "complete": False, "checksum": None,
                                             "checksum_from": None, "length": None,
                                             "etag": None})
        self._entries[key] = _Entry(key, record, Ranges())
        return record

    def _drop_files_sync(self, key: str, keep: EntryRecord | None) -> None:
        """Writer thread: remove an entry's files (its bookkeeping is gone already); save
        `keep`, a pinned entry's emptied record."""
        fd = self._fds.pop(key, None)
        if fd is not None:
            _close(fd)
        try:
            files.drop_files(self.root, key)
            if keep is not None:
                files.write_meta(self.root, key, keep, None)
        except OSError as error:
            log.warning("media cache: could not remove %s: %s", key, error)

    def clear_now(self, *, keep_pinned: bool = True) -> list[str]:
        """Blocking: remove every entry not held (and, with `keep_pinned`, not pinned); the
        refs removed."""
        with self._lock:
            held = {files.key_for(r) for r in self._holds}
            gone = {k: e.record.ref for k, e in self._entries.items()
                    if k not in held and not (keep_pinned and e.record.pinned)}
            kept = {k: self._discard(k, unpin=True) for k in gone}
        for k in gone:
            self._writes.submit(self._drop_files_sync, k, kept[k]).result()
        return list(gone.values())

    async def _run(self, fn: Callable[..., object], *args: object) -> object:
        return await asyncio.wrap_future(self._writes.submit(fn, *args))

    def _changed(self, ref: str) -> None:
        self._call_soon(self._tell, ref)

    def _tell(self, ref: str) -> None:
        for listener in list(self.listeners):
            try:
                listener(ref)
            except Exception:
                log.exception("media cache listener failed")

    def _call_soon(self, fn: Callable[[str], None], arg: str) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            fn(arg)  # no loop (the command line): at once
            return
        try:
            loop.call_soon_threadsafe(fn, arg)
        except RuntimeError:
            pass  # the loop is shutting down: nobody to tell

    def flush_now(self) -> None:
        """Blocking: wait until every write asked for so far is on disk."""
        self._writes.submit(lambda: None).result()

    def close(self) -> None:
        """Blocking: finish the writes queued, save every entry's metadata, stop the thread."""
        for key in list(self._fds):
            self._writes.submit(self._finish_sync, key, True)
        self._writes.shutdown(wait=True)


class RangeWriter:
    """The bytes of one response, from `offset` on, handed over as they are relayed. Never
    blocks: each chunk is queued for the writer thread; a chunk that does not fit (the cap,
    too much queued, the cache bypassed) ends this writer's caching, and what came before it
    is kept."""

    def __init__(self, cache: MediaCache, ref: str, key: str, offset: int) -> None:
        self.cache = cache
        self.ref = ref
        self.key = key
        self.offset = offset
        self._since_flush = 0
        self._open = True
        self._writing = True

    def write(self, chunk: bytes) -> None:
        if self._writing and chunk:
            self._writing = self.cache._queue_write(self.key, self.offset, bytes(chunk))
            self._since_flush += len(chunk)
            if self._since_flush >= FLUSH_EVERY:
                self._since_flush = 0
                self.cache._save(self.key)
        self.offset += len(chunk)

    def close(self) -> None:
        """The response ended (whole, cut or abandoned): save what was written."""
        if not self._open:
            return
        self._open = False
        cache = self.cache
        cache.release(self.ref)
        if cache.bypassed is None:
            cache._writes.submit(cache._finish_sync, self.key, True)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
