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
checks run on the loop's default executor. The bookkeeping (tui/session/media_index.py:
which ranges are present, what is held) is shared between the loop and the writer thread,
and a range counts as present only once its bytes are written. A cache that cannot be written (disk full, read-only,
quota, permissions) is bypassed from then on, with one notice; playback never notices.
The `*_now` methods block and are for the command line, where no loop runs.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from tui.core.ranges import Ranges

from . import media_files as files
from .media_files import EntryRecord, ItemMeta
from .media_index import CacheState, Entry, EntryInfo, MediaIndex

__all__ = ["CacheState", "EntryInfo", "ItemMeta", "MediaCache", "RangeWriter"]

log = logging.getLogger(__name__)

FLUSH_EVERY = 4 << 20       # bytes written between metadata saves
MAX_PENDING = 32 << 20      # bytes queued for the writer thread; more are not cached
_UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.EFBIG, errno.EIO}


class MediaCache:
    def __init__(self, root: Path, max_size: int, *, enabled: bool = True,
                 notify: Callable[[str], None] | None = None) -> None:
        """`notify`: told once, on the loop, when the cache stops being written."""
        self.root = root
        self.max_size = max_size
        self.enabled = enabled
        self.notify = notify or (lambda text: None)
        self.bypassed: str | None = None     # why writing stopped, once it did
        self.index = MediaIndex()
        self._pending = 0                     # bytes queued for the writer thread
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
        try:
            found, removed = files.scan(self.root)
        except OSError as error:  # a folder ytplay may not read: no cache this run
            self.enabled = False
            self._unwritable(error, "read")
            return []
        self.index.load(found)
        return removed

    # --- what is there --------------------------------------------------------------------

    def lookup(self, ref: str) -> EntryInfo:
        return self.index.info(ref)

    def entries(self) -> list[EntryInfo]:
        return self.index.infos()

    def size(self) -> int:
        """Bytes the entries hold (what the cap counts)."""
        return self.index.size

    def run_end(self, ref: str, offset: int) -> int:
        """One past the last cached byte of the run that holds `offset` (`offset` when that
        byte is not cached)."""
        return self.index.run_end(ref, offset)

    def length(self, ref: str) -> int | None:
        e = self.index.get(files.key_for(ref))
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
        e = self.index.get(key)
        if e is None or not e.record.complete:
            return None
        # Checked already this run and unchanged since (one stat): no worker thread needed.
        if not (self._checked(key) or await asyncio.to_thread(self._check, key, e)):
            log.warning("media cache: %s failed its check; dropped, it will be fetched again",
                        key)
            await self._run(self._drop_files_sync, key, self.index.discard(key))
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

    def _check(self, key: str, e: Entry) -> bool:
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
        e = self.index.get(key)
        if e is None or not e.record.complete:
            return None
        # A full check: the stamp of an earlier one is not trusted.
        self._verified = {s for s in self._verified if s[0] != key}
        ok = self._check(key, e)
        if not ok:
            self._writes.submit(self._drop_files_sync, key, self.index.discard(key)).result()
        return ok

    # --- metadata, use, pins --------------------------------------------------------------

    def describe(self, ref: str, meta: ItemMeta) -> None:
        """The item's title, artist, … kept with its entry (now, or once it has one)."""
        if self.index.describe(ref, meta):
            self._save(files.key_for(ref))

    def touch(self, ref: str) -> None:
        self.index.update(files.key_for(ref), last_used=time.time())

    def pin(self, ref: str) -> None:
        """Keep `ref` whatever the cap (a download); it gets an entry if it has none."""
        self._set_pinned(ref, True)

    def unpin(self, ref: str) -> None:
        self._set_pinned(ref, False)

    def is_pinned(self, ref: str) -> bool:
        e = self.index.get(files.key_for(ref))
        return e is not None and e.record.pinned

    def _set_pinned(self, ref: str, pinned: bool) -> None:
        key = files.key_for(ref)
        with self.index.lock:
            if self.index.get(key) is None:
                self.index.create(key, ref)
            self.index.update(key, pinned=pinned)
        self._save(key)

    def hold(self, ref: str) -> None:
        """`ref` plays or is being relayed: not evicted until released (counted)."""
        self.index.hold(ref)

    def release(self, ref: str) -> None:
        self.index.release(ref)

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
        with self.index.lock:
            e = self.index.get(key)
            if e is not None and e.ranges.total and (
                    (length is not None and e.record.length not in (None, length))
                    or (etag and e.record.etag and etag != e.record.etag)):
                self._writes.submit(self._drop_files_sync, key, self.index.discard(key))
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

    def _room(self, key: str, need: int) -> bool:
        """Whether `need` more bytes fit under the cap beside what is queued, evicting the
        least recently used entries that may go (never what is held or pinned)."""
        fits, gone = self.index.make_room(key, self._pending + need, self.max_size)
        for e in gone:
            log.info("media cache: evicted %s (%d bytes)", e.key, e.ranges.total)
            self._writes.submit(self._drop_files_sync, e.key, None)
            self._changed(e.record.ref)
        return fits

    def evict_to_cap(self) -> list[str]:
        """Drop least recently used entries until the cache fits its cap; the refs dropped."""
        with self.index.lock:
            before = {k: e.record.ref for k, e in self.index.entries.items()}
            self._room("", 0)
            return [ref for k, ref in before.items() if k not in self.index.entries]

    def _queue_write(self, key: str, offset: int, data: bytes) -> bool:
        with self.index.lock:
            if self.bypassed is not None or self.index.get(key) is None:
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
                self.index.add_range(key, offset, offset + len(data))
        except OSError as error:
            self._unwritable(error)
        finally:
            with self.index.lock:
                self._pending -= len(data)

    def _finish_sync(self, key: str, final: bool) -> None:
        """Save the metadata of `key` (after its data); complete it if every byte is there
        and it checks out. `final`: its writer is done, close the data file."""
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
            return {"complete": False}
        if record.checksum is not None and record.checksum_from == "source":
            if not files.checksum_matches(self.root, key, record.checksum, length):
                log.warning("media cache: %s does not match its source's checksum; dropped",
                            key)
                return {"complete": False}
            return {"complete": True}
        return {"complete": True, "checksum_from": "cache",
                "checksum": "sha256:" + files.digest(self.root, key, "sha256", length)}

    def _save(self, key: str) -> None:
        if self.bypassed is None and self.enabled:
            self._writes.submit(self._finish_sync, key, False)

    def _unwritable(self, error: OSError, doing: str = "write to") -> None:
        """Writer thread: stop writing, and say so once."""
        with self.index.lock:
            if self.bypassed is not None:
                return
            reason = error.strerror or str(error) if error.errno in _UNWRITABLE else str(error)
            self.bypassed = reason
        text = (f"media cache: cannot {doing} {self.root} ({reason}); playing without "
                "caching until ytplay restarts")
        log.warning("%s", text)
        self._call_soon(self.notify, text)

    # --- removing -------------------------------------------------------------------------

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
        with self.index.lock:
            held = self.index.held()
            gone = {k: e.record.ref for k, e in self.index.entries.items()
                    if k not in held and not (keep_pinned and e.record.pinned)}
            for k in gone:
                self.index.discard(k, unpin=True)
        for k in gone:
            self._writes.submit(self._drop_files_sync, k, None).result()
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
