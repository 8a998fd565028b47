"""ytplay: a terminal media client that keeps expiring credentials alive while libmpv plays."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client (click, pygments, rich's syntax and progress: ~40
# modules, 3.4 MiB) whenever click happens to be installed beside it; ytplay never runs it.
# A None in sys.modules makes that import fail as if click were missing, and httpx falls
# back to a stub.
sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]
