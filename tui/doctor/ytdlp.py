"""yt-dlp: its version and how old it is (sites change; an old yt-dlp is the most common
cause of failures to resolve), and a JavaScript runtime for its YouTube support."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any, Mapping

from . import install
from .report import Line, error, ok, warning

STALE_DAYS = 60
# A test seam: the date to measure yt-dlp's age against (YYYY-MM-DD). yt-dlp's age is its
# version's date against today; pretending today is later is how tests/test_doctor.py makes
# the installed yt-dlp old without installing an old one (which would need the network).
TODAY_ENV = "YTPLAY_DOCTOR_TODAY"
DENO_INSTALL = "curl -fsSL https://deno.land/install.sh | sh"
_VERSION_DATE = re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})")


def version_date(version: str) -> dt.date | None:
    """yt-dlp's versions are release dates: 2025.10.22, 2025.10.22.1 (nightlies too)."""
    m = _VERSION_DATE.match(version)
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _today() -> dt.date:
    given = os.environ.get(TODAY_ENV)
    return dt.date.fromisoformat(given) if given else dt.date.today()


def check_version() -> list[Line]:
    try:
        from yt_dlp.version import __version__
    except ImportError as e:
        return [error("yt-dlp", f"cannot be imported ({e})", install.ytdlp_upgrade())]
    released = version_date(__version__)
    if released is None:
        return [warning("yt-dlp", f"{__version__}: cannot tell its age from the version",
                        install.ytdlp_upgrade())]
    age = (_today() - released).days
    if age > STALE_DAYS:
        return [warning("yt-dlp", f"{__version__} is {age} days old: sites change often and "
                        f"an old yt-dlp fails to resolve them", install.ytdlp_upgrade())]
    return [ok("yt-dlp", f"{__version__} ({age} days old)")]


def check_js_runtime(options: Mapping[str, Any]) -> list[Line]:
    """yt-dlp runs YouTube's player JavaScript in an external runtime; without one, many
    YouTube formats cannot be unlocked. It uses deno unless its `js_runtimes` option
    names others (node, bun, quickjs)."""
    what = "JavaScript runtime"
    try:
        import yt_dlp  # registers the runtimes it supports
        from yt_dlp.globals import supported_js_runtimes
    except ImportError:  # yt-dlp older than its JavaScript runtimes (2025.11)
        return [warning(what, "not checked: this yt-dlp predates JavaScript runtime support",
                        install.ytdlp_upgrade())]
    enabled = options.get("js_runtimes") or {"deno": {}}
    del yt_dlp
    usable, unusable = [], []
    for name, runtime in supported_js_runtimes.value.items():
        config = enabled.get(name) if isinstance(enabled, Mapping) else None
        info = runtime(path=(config or {}).get("path")).info
        if info is None:
            continue
        label = f"{info.name} {info.version}"
        if not info.supported:
            unusable.append(f"{label} is too old for yt-dlp")
        elif name not in enabled:
            unusable.append(f"{label} is not enabled (yt-dlp uses {', '.join(enabled)})")
        else:
            usable.append(label)
    if usable:
        return [ok(what, ", ".join(usable) + " (for yt-dlp's YouTube support)")]
    if unusable:
        return [warning(what, f"none that yt-dlp can use: {'; '.join(unusable)}. YouTube "
                        "formats that need JavaScript will be missing", DENO_INSTALL)]
    return [warning(what, "none of deno, node, bun, quickjs on PATH: yt-dlp cannot unlock "
                    "YouTube formats that need JavaScript", DENO_INSTALL)]
