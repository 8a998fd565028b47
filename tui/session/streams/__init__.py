"""The session manager (`SessionManager`; docs/ARCHITECTURE.md, "Session manager"): every
stream ytplay opens, from the media cache, a service, an OAuth2 service's URL or yt-dlp,
held as a lease, renewed ahead of its expiry on the one timer and on demand single-flight,
and served to libmpv through the proxy. Its parts: the services by name (which one a
reference belongs to, the source that opens it), the sources and their streams, the open
streams' leases (which answer the proxy), the streams resolved ahead for the items coming
up, yt-dlp's fallbacks, each origin's clock, whether the network can be reached, and the
one HTTP client. `RECOVERABLE`: the errors a stream may recover from by a renewal;
`OFFLINE_REASONS`: what an item that cannot play offline says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._connectivity import OFFLINE_REASONS
    from ._manager import SessionManager
    from ._open_streams import RECOVERABLE

__all__, __getattr__ = face(__name__, {
    "_connectivity": ("OFFLINE_REASONS",),
    "_manager": ("SessionManager",),
    "_open_streams": ("RECOVERABLE",),
})
