"""The demo service's knobs. Mutable at run time so tests can open and close a fault."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

# Short enough that someone watching for two minutes sees tokens and URLs expire.
DEFAULT_TOKEN_TTL = 60
DEFAULT_URL_TTL = 90
DEFAULT_SEGMENT_TTL = 30


@dataclass
class DemoOptions:
    token_ttl: int = DEFAULT_TOKEN_TTL          # access token lifetime, s
    refresh_ttl: int = 7 * 24 * 3600            # refresh token lifetime, s
    url_ttl: int = DEFAULT_URL_TTL              # signed stream URL lifetime, s
    segment_ttl: int = DEFAULT_SEGMENT_TTL      # signed HLS segment URL lifetime, s
    segment_seconds: float = 2.0                # length of an HLS segment, s
    live_window: int = 6                        # segments in the live playlist
    deny_segments: int = 0                      # answer this many HLS segment requests 403
    stream_limit: int = 2                       # concurrent playback sessions per user
    heartbeat_interval: int = 15                # s; reaped after three missed intervals
    fail_rate: float = 0.0                      # share of requests answered 503
    fail_next: int = 0                          # a burst: answer this many requests 503
    latency: float = 0.0                        # s added before every answer
    drop_rate: float = 0.0                      # share of media responses cut off mid-body
    media_rate: int = 0                         # bytes/s a media body is sent at (0: at once)
    expired_status: int = 403                   # 403 or 410 for an expired stream URL
    streams_need_token: bool = False            # demand the bearer token on stream requests
    username: str = "demo"
    password: str = "demo"
    client_id: str = "ytplay"
    port: int = 0                               # preferred port; 0 or taken means any free one
    seed: int = 0                               # makes injected faults repeatable
    clock_offset: float = 0.0                   # s the service's clock runs ahead (+) or behind (-)
    media_dir: Path | None = None               # where synthesized WAVs are cached
    fault_paths: tuple[str, ...] = field(default=("/api/", "/oauth/", "/media/", "/hls/"))

    def now(self) -> float:
        """The service's clock: wall time, off by `clock_offset`."""
        return time.time() + self.clock_offset
