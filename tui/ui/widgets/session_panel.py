"""The session panel: one row per lease — access token, refresh token, stream URL, playback
session — with its state, time to expiry counting down every second, the retry under way
and the last error (redacted where it was made)."""

from __future__ import annotations

import time
from typing import Callable, Iterable

from rich.text import Text
from textual.widgets import DataTable

from tui.core.leases import Lease, LeaseState
from tui.core.timefmt import countdown
from tui.ui.css import sibling_css
from tui.ui.untrusted import fit, plain

# Cells are laid out by rich in terminal cells; a server's error text still gets a bound,
# or one message would push every other column off the screen.
MAX_ERROR = 80
_STYLES = {LeaseState.FRESH: "green", LeaseState.REFRESHING: "yellow",
           LeaseState.RETRYING: "yellow", LeaseState.EXPIRED: "red", LeaseState.FAILED: "bold red"}


class SessionPanel(DataTable[str | Text]):
    DEFAULT_CSS = sibling_css(__file__)
    can_focus = False

    def __init__(self, leases: Callable[[], Iterable[Lease]], **kwargs: object) -> None:
        super().__init__(cursor_type="none", **kwargs)  # type: ignore[arg-type]
        self._leases = leases
        self.border_title = "Session"

    def on_mount(self) -> None:
        self.add_columns("Kind", "Owner", "State", "Expires", "Try", "Retry in", "Last error")
        self.refresh_rows()
        self.set_interval(1.0, self.refresh_rows)

    def refresh_rows(self) -> None:
        now = time.time()
        self.clear()
        for lease in self._leases():
            state = lease.state_at(now)
            left = None if lease.expires_at is None else lease.expires_at - now
            tries = f"{lease.attempt}/{lease.attempts}" if lease.attempt and lease.attempts else ""
            retry = "" if lease.next_retry_at is None or lease.next_retry_at < now else \
                f"{lease.next_retry_at - now:.0f}s"
            # The owner (a track title) and the error come from outside: Text cells, since
            # DataTable reads a str cell as markup.
            self.add_row(lease.kind.value, plain(lease.owner),
                         Text(state.value, style=_STYLES[state]), countdown(left), tries,
                         retry, plain(fit(lease.last_error or "", MAX_ERROR)))
