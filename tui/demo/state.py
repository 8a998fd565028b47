"""Everything the demo service remembers while it runs."""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from .options import DemoOptions
from .signing import UrlSigner
from .tokens import TokenAuthority


@dataclass
class PlaybackSession:
    id: str
    user: str
    media_id: str
    device_id: str
    last_beat: float
    position: float = 0.0


@dataclass
class DemoState:
    options: DemoOptions
    authority: TokenAuthority
    signer: UrlSigner = field(default_factory=UrlSigner)
    sessions: dict[str, PlaybackSession] = field(default_factory=dict)
    # Counts by name, for tests and for the curious: "token:password", "media:206", …
    counts: Counter[str] = field(default_factory=Counter)
    # The Range header of every media request, in order (None: none), for tests of resuming.
    media_ranges: list[str | None] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    started_at: float = 0.0   # the service's clock at its start: the live station's origin
    # The HLS segments served, in order: (stream, sequence number), for tests.
    segments_served: list[tuple[str, int]] = field(default_factory=list)

    @classmethod
    def create(cls, options: DemoOptions) -> "DemoState":
        clock = options.now
        return cls(options=options,
                   authority=TokenAuthority(options.token_ttl, options.refresh_ttl, clock=clock),
                   signer=UrlSigner(clock=clock), rng=random.Random(options.seed),
                   started_at=clock())

    def revoke_urls(self) -> None:
        """Invalidate every signed URL handed out so far, as a CDN key rotation would."""
        self.signer = UrlSigner(clock=self.options.now)

    def reap(self) -> None:
        """Forget sessions that missed three heartbeats; they stop counting to the limit."""
        limit = 3 * self.options.heartbeat_interval
        now = time.monotonic()
        for sid in [s.id for s in self.sessions.values() if now - s.last_beat > limit]:
            del self.sessions[sid]

    def new_session(self, user: str, media_id: str, device_id: str) -> PlaybackSession:
        s = PlaybackSession("s-" + secrets.token_hex(6), user, media_id, device_id,
                            time.monotonic())
        self.sessions[s.id] = s
        return s


STATE: web.AppKey[DemoState] = web.AppKey("state", DemoState)


def error(status: int, code: str, message: str, **headers: str) -> web.Response:
    """The error body of docs/PROTOCOL.md ("Conventions")."""
    return web.json_response({"error": code, "message": message}, status=status,
                             headers=headers or None)
