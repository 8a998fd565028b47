"""What every lease shares, whether a token, an open stream or a stream resolved ahead (the
lease itself is tui/core/leases.py): one timer for all their deadlines (`LeaseScheduler`:
the earliest in a heap arms a single `call_at`, so the loop sleeps until something is due),
the book the Session panel reads them from (`LeaseBook`), and the runner that retries a
request under the one retry policy and budget (`Retrier`), which renewals and the proxy's
requests go through. Imports no other room."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._book import LeaseBook
    from ._retrier import Retrier
    from ._scheduler import LeaseScheduler

__all__, __getattr__ = face(__name__, {
    "_book": ("LeaseBook",),
    "_retrier": ("Retrier",),
    "_scheduler": ("LeaseScheduler",),
})
