"""The proxy's two ports, the narrow interfaces between it and the session manager
(docs/ARCHITECTURE.md, "The loopback stream proxy"). The proxy imports nothing of the
manager, and the manager nothing of the proxy but these; the composition root
(tui/factory.py) builds both and joins them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol

from tui.core.errors import ServiceError
from tui.core.events import SessionEvent


@dataclass(frozen=True)
class Upstream:
    """Where a stream's bytes come from right now, with every header its origin needs."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    token: str | None = None   # the bearer token in `headers`, to name it when it is rejected


class UpstreamProvider(Protocol):
    """What the proxy needs from whoever owns the streams."""

    def upstream(self, key: str) -> Upstream | None:
        """The current upstream of stream `key`; None once it is closed."""

    def name(self, key: str) -> str:
        """What a person calls stream `key` (its item's title; its reference while it has
        none): the Retry log names it so, as the Session panel and the queue do."""

    async def renew(self, key: str, failed: Upstream, error: ServiceError) -> None:
        """`failed` was refused as expired or unauthorised: get a fresh URL or token, or
        raise (ServiceError, GaveUp, LoginRequired, ResolveError)."""

    def playlist_read(self, key: str, expires_at: float | None, live: bool) -> None:
        """`key`'s HLS playlist was fetched: its segment URLs expire at `expires_at` (wall
        clock, ours; None when they name no expiry), and it is `live` or not."""

    def answered(self, url: str, headers: Mapping[str, str]) -> None:
        """An answer came from `url` (the one that answered) with `headers`: its `Date`
        tells its origin's clock. Once per upstream answer, never per chunk."""

    def clock_offset(self, url: str) -> float:
        """How far `url`'s origin's clock is ahead of ours, as its answers said (else 0):
        an expiry a URL carries in itself is on that clock."""

    def report_dead(self, key: str, reason: str) -> None:
        """Nothing valid is left for `key`: the proxy gave up."""

    def emit(self, event: SessionEvent) -> None: ...


class Relay(Protocol):
    """What the session manager needs from the proxy."""

    async def start(self) -> None: ...
    def url_for(self, key: str, *, hls: bool = False) -> str: ...
    async def stop(self) -> None: ...
