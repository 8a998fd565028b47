"""The media cache (docs/ARCHITECTURE.md, "The media cache"): what the proxy relayed, kept on
disk by byte range under the queue item's reference, never its expiring URL, so that a
track heard once plays again with no network. `MediaCache` is the store: the folder read,
lookups (`EntryInfo`, `CacheState`), the checks before an entry plays, pins and holds,
eviction under the cap; its bookkeeping in memory, its writes on one thread of their own and
its files are its private parts. `CacheTee` stands between the proxy and the store: it
answers from the file what the store holds and hands it what is relayed. `scan` and `hold`
are the folder's listing and lock, for `ytplay cache`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._files import ItemMeta, hold, scan
    from ._index import CacheState, EntryInfo
    from ._media_cache import MediaCache
    from ._tee import CacheTee, span_of

__all__, __getattr__ = face(__name__, {
    "_files": ("ItemMeta", "hold", "scan"),
    "_index": ("CacheState", "EntryInfo"),
    "_media_cache": ("MediaCache",),
    "_tee": ("CacheTee", "span_of"),
})
