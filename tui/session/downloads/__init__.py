"""Downloads (docs/ARCHITECTURE.md, "Downloads"): items kept for listening offline, pinned in
the media cache and fetched by byte range in the background at full speed. Each is opened
through the session manager as playback opens it, so its leases show in the Session panel
and are renewed alike. `Downloads` keeps, forgets and resumes them; `Download` and
`DownloadState` are what the UI lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._downloads import Download, Downloads, DownloadState

__all__, __getattr__ = face(__name__, {
    "_downloads": ("Download", "Downloads", "DownloadState"),
})
