"""The media cache's bookkeeping in memory (docs/ARCHITECTURE.md, "The media cache"): its
entries by key, the byte ranges each holds, their total against the cap, what is held
(playing, being relayed), and which entries go when room is needed. No I/O: the store
(_media_cache.py, its writes in _writes.py) reads and writes the files and keeps this in
step. Shared by the loop and the store's writer thread under one lock."""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass, field

import msgspec

from tui.core.ranges import Ranges, Usage, share, to_evict

from ._files import EntryRecord, ItemMeta, key_for


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
class Entry:
    key: str
    record: EntryRecord             # as saved, but for `ranges`, which live in `ranges`
    ranges: Ranges

    def info(self) -> EntryInfo:
        r, cached = self.record, self.ranges.total
        state = CacheState.COMPLETE if r.complete else \
            CacheState.PARTIAL if cached else CacheState.ABSENT
        return EntryInfo(r.ref, state, r.length, cached,
                         1.0 if r.complete else share(self.ranges, r.length), r.pinned,
                         r.content_type, r.meta, r.last_used)


class MediaIndex:
    def __init__(self) -> None:
        # Re-entrant: with no loop (the command line) a listener told of a change runs at
        # once, under the store's lock, and may look the cache up.
        self.lock = threading.RLock()
        self.entries: dict[str, Entry] = {}
        self.size = 0                         # bytes the entries hold
        self._holds: dict[str, int] = {}      # ref -> how many hold it
        self._described: dict[str, ItemMeta] = {}   # metadata of refs with no entry yet

    def load(self, found: list[tuple[str, EntryRecord, int]]) -> None:
        """Entries read from disk: (key, record, the data file's size). Ranges listed past
        the data file's end (a truncated file) are cut to what is there."""
        with self.lock:
            for key, record, size in found:
                ranges = Ranges()
                for s, e in record.ranges:
                    if s < size:
                        ranges.add(s, min(e, size))
                if ranges.spans() != list(record.ranges):
                    record = msgspec.structs.replace(record, complete=False,
                                                     ranges=ranges.spans())
                self.entries[key] = Entry(key, record, ranges)
                self.size += ranges.total

    # --- reading --------------------------------------------------------------------------

    def get(self, key: str) -> Entry | None:
        with self.lock:
            return self.entries.get(key)

    def info(self, ref: str) -> EntryInfo:
        with self.lock:
            e = self.entries.get(key_for(ref))
            return EntryInfo(ref, CacheState.ABSENT) if e is None else e.info()

    def infos(self) -> list[EntryInfo]:
        with self.lock:
            return [e.info() for e in self.entries.values()]

    def run_end(self, ref: str, offset: int) -> int:
        with self.lock:
            e = self.entries.get(key_for(ref))
            return offset if e is None else e.ranges.run_end(offset)

    # --- changing -------------------------------------------------------------------------

    def create(self, key: str, ref: str) -> Entry:
        """A new, empty entry, with the metadata described for `ref` before it had one."""
        with self.lock:
            meta = self._described.pop(ref, ItemMeta())
            e = Entry(key, EntryRecord(ref=ref, meta=meta, last_used=time.time()), Ranges())
            self.entries[key] = e
            return e

    def update(self, key: str, **fields: object) -> EntryRecord | None:
        """The entry's record with `fields` changed; None when it has no entry."""
        with self.lock:
            e = self.entries.get(key)
            if e is None:
                return None
            e.record = msgspec.structs.replace(e.record, **fields)
            return e.record

    def describe(self, ref: str, meta: ItemMeta) -> bool:
        """Keep `meta` with `ref`'s entry; True when it has one (to be saved), else it is
        kept for the entry `ref` gets."""
        with self.lock:
            if self.update(key_for(ref), meta=meta) is not None:
                return True
            self._described[ref] = meta
            return False

    def add_range(self, key: str, start: int, end: int) -> None:
        with self.lock:
            e = self.entries.get(key)
            if e is not None:
                before = e.ranges.total
                e.ranges.add(start, end)
                self.size += e.ranges.total - before

    def discard(self, key: str, *, unpin: bool = False) -> EntryRecord | None:
        """Forget what `key` holds. A pinned entry stays, empty (a download fetches it
        again), unless `unpin`: its emptied record, to be saved, is returned."""
        with self.lock:
            e = self.entries.pop(key, None)
            if e is None:
                return None
            self.size -= e.ranges.total
            if unpin or not e.record.pinned:
                return None
            record = msgspec.structs.replace(
                e.record, ranges=[], complete=False, checksum=None, checksum_from=None,
                length=None, etag=None)
            self.entries[key] = Entry(key, record, Ranges())
            return record

    def forget_empty(self, key: str) -> str | None:
        """Forget `key`'s entry when it is nothing to keep: no bytes, not a download, not
        held (what is being written may get its first bytes yet). Its metadata is kept for
        the entry its reference gets next. Its reference when forgotten (its files are the
        caller's to remove)."""
        with self.lock:
            e = self.entries.get(key)
            if e is None or e.ranges.total or e.record.pinned or e.record.ref in self._holds:
                return None
            del self.entries[key]
            if e.record.meta != ItemMeta():
                self._described[e.record.ref] = e.record.meta
            return e.record.ref

    # --- use ------------------------------------------------------------------------------

    def hold(self, ref: str) -> None:
        with self.lock:
            self._holds[ref] = self._holds.get(ref, 0) + 1

    def release(self, ref: str) -> None:
        with self.lock:
            n = self._holds.get(ref, 0) - 1
            if n > 0:
                self._holds[ref] = n
            else:
                self._holds.pop(ref, None)

    def held(self) -> frozenset[str]:
        """The keys of the entries held."""
        with self.lock:
            return frozenset(key_for(r) for r in self._holds)

    def make_room(self, key: str, need: int, cap: int) -> tuple[bool, list[Entry]]:
        """Whether `need` more bytes for `key` fit under `cap`, after discarding the least
        recently used entries that may go (never `key`, what is held or pinned); and what
        was discarded (its files are the caller's to remove)."""
        with self.lock:
            if self.size + need <= cap:
                return True, []
            keep = self.held() | {key} | frozenset(
                k for k, e in self.entries.items() if e.record.pinned)
            usage = [Usage(k, e.ranges.total, e.record.last_used)
                     for k, e in self.entries.items()]
            gone = [self.entries[k] for k in to_evict(usage, max(0, cap - need), keep)]
            for e in gone:
                self.discard(e.key)
            return self.size + need <= cap, gone
