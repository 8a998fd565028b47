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

This module is the store: the folder read, lookups, the checks before an entry plays,
pins and holds, and eviction under the cap. Its parts: the bookkeeping in memory
(_index.py: which ranges are present, what is held; shared between the loop and the writer
thread), every write to disk on one writer thread (_writes.py; a cache that cannot be
written is bypassed from then on, with one notice) and what it tells the rest of ytplay
(_news.py). Reads and checksum checks run on the loop's default executor. The `*_now` methods block and are
for the command line, where no loop runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Callable

from . import _files as files
from ._files import ItemMeta
from ._index import Entry, EntryInfo, MediaIndex
from ._news import MediaNews
from ._writes import MediaWrites, RangeWriter

log = logging.getLogger(__name__)


class MediaCache:
    def __init__(self, root: Path, max_size: int, *, enabled: bool = True,
                 notify: Callable[[str], None] | None = None, shared: bool = True) -> None:
        """`notify`: told once, on the loop, when the cache stops being written. `shared`:
        hold the folder's shared lock from `load` to `close`, so `ytplay cache clear` does
        not remove what this one plays (False for `ytplay cache`, which takes it alone)."""
        self.root = root
        self._shared = shared
        self._held: int | None = None
        self.max_size = max_size
        self.enabled = enabled
        self.index = MediaIndex()
        self.news = MediaNews(notify or (lambda text: None))
        self.listeners = self.news.listeners                 # told a ref's state changed
        self.writes = MediaWrites(root, self.index, self.news, self._room)
        self._verified: set[tuple[str, int, int]] = set()   # (key, size, mtime_ns) this run
        self._loading: asyncio.Future[list[str]] | None = None
        self._loaded = False

    @property
    def bypassed(self) -> str | None:
        """Why writing stopped, once it did."""
        return self.writes.bypassed

    # --- reading the folder ---------------------------------------------------------------

    async def ready(self) -> list[str]:
        """Read the folder on a worker thread, once (every caller waits for the same read);
        what was broken and removed."""
        if self._loaded:
            return []
        self.news.loop = asyncio.get_running_loop()
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(self.load))
        return await asyncio.shield(self._loading)

    def load(self) -> list[str]:
        """Read what is on disk (blocking); what was broken and removed, as notices."""
        if self._loaded:
            return []
        self._loaded = True
        if self._shared:
            try:  # waits for a `ytplay cache clear` under way to end
                self._held = files.hold(self.root, alone=False)
            except OSError as error:  # a folder it may read but not write: no lock needed
                log.info("media cache: %s not locked (%s)", self.root, error)
        try:
            found, removed = files.scan(self.root)
        except OSError as error:  # a folder ytplay may not read: no cache this run
            self.enabled = False
            self.writes.unwritable(error, "read")
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
            await asyncio.wrap_future(self.writes.drop(key, self.index.discard(key)))
            self.news.changed(ref)
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
            self.writes.drop(key, self.index.discard(key)).result()
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
        key = files.key_for(ref)
        with self.index.lock:
            if self.index.get(key) is None:
                self.index.create(key, ref)
            self.index.update(key, pinned=True)
        self._save(key)

    def unpin(self, ref: str) -> None:
        """No longer a download: what it holds stays as ordinary cache; an entry that holds
        nothing (a download that fetched nothing) is removed, not left as an empty one."""
        key = files.key_for(ref)
        with self.index.lock:
            if self.index.update(key, pinned=False) is None:
                return  # no entry: nothing to unpin
            emptied = self.index.forget_empty(key) is not None
        if emptied:
            self.writes.drop(key)
            self.news.changed(ref)
        else:
            self._save(key)

    def is_pinned(self, ref: str) -> bool:
        e = self.index.get(files.key_for(ref))
        return e is not None and e.record.pinned

    def _save(self, key: str) -> None:
        if self.enabled:
            self.writes.save(key)

    def hold(self, ref: str) -> None:
        """`ref` plays or is being relayed: not evicted until released (counted)."""
        self.index.hold(ref)

    def release(self, ref: str) -> None:
        self.index.release(ref)

    # --- writing, the cap -----------------------------------------------------------------

    def writer(self, ref: str, offset: int, *, length: int | None,
               content_type: str | None = None, checksum: str | None = None,
               etag: str | None = None) -> RangeWriter | None:
        """Something to hand the bytes of `ref` from `offset` on, as they are relayed; None
        when the cache is off or bypassed (_writes.py)."""
        if not self.enabled or self.writes.bypassed is not None:
            return None
        self.news.loop = asyncio.get_running_loop()
        return self.writes.writer(ref, offset, length=length, content_type=content_type,
                                  checksum=checksum, etag=etag)

    def _room(self, key: str, need: int) -> bool:
        """Whether `need` bytes, those queued included, fit under the cap, evicting the
        least recently used entries that may go (never what is held or pinned)."""
        fits, gone = self.index.make_room(key, need, self.max_size)
        for e in gone:
            log.info("media cache: evicted %s (%d bytes)", e.key, e.ranges.total)
            self.writes.drop(e.key)
            self.news.changed(e.record.ref)
        return fits

    def evict_to_cap(self) -> list[str]:
        """Drop least recently used entries until the cache fits its cap; the refs dropped."""
        with self.index.lock:
            before = {k: e.record.ref for k, e in self.index.entries.items()}
            self._room("", self.writes.pending)
            return [ref for k, ref in before.items() if k not in self.index.entries]

    # --- removing -------------------------------------------------------------------------

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
            self.writes.drop(k).result()
        return list(gone.values())

    def flush_now(self) -> None:
        """Blocking: wait until every write asked for so far is on disk."""
        self.writes.flush_now()

    def close(self) -> None:
        """Blocking: finish the writes queued, save every entry's metadata, stop the thread."""
        self.writes.close()
        if self._held is not None:
            os.close(self._held)  # lets go of the folder's lock
            self._held = None
