"""Cover art (docs/ARCHITECTURE.md, "Cover art"): the current item's picture as a file on
disk, for the UI to draw. `CoverStore` finds it: an image URL (with the service's token at
the service's own origin) or a local file's embedded picture, fetched once ever and kept in
the cache folder under a content-addressed name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._cover_store import CoverStore

__all__, __getattr__ = face(__name__, {
    "_cover_store": ("CoverStore",),
})
