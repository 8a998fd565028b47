"""The items `ytplay serve` has open: each opened through the session manager on its first
request (resolved, or a playback session started, or found complete in the media cache),
its leases kept fresh while a player holds a connection to it and for LINGER after the last
one ends, then closed. Concurrent first requests share one open."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tui.core.models import StreamInfo
from tui.core.redact import redact
from tui.core.refs import RefKind
from tui.core.verdicts import Act, after_open_error
from tui.session.streams import SessionManager

log = logging.getLogger(__name__)

# How long an item stays open after its last connection ends. Players pause in two ways:
# MPD and mpv keep the connection and stop reading (the item stays open all along), VLC and
# phone apps close it and ask again from the byte they reached when resumed. A pause up to
# this long resumes on the leases kept fresh meanwhile; after a longer one the item is
# opened again on the next request (a resolve or a new playback session: slower, as sure).
LINGER = 300.0  # s


class CannotServe(Exception):
    """The item could not be opened: `status` for the player, `reason` for the log."""

    def __init__(self, status: int, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


@dataclass
class Served:
    id: str
    ref: str
    info: StreamInfo
    hls: bool = False                 # relayed playlist by playlist
    file: Path | None = None          # a local file, answered as it is
    clients: int = 0                  # requests being answered now
    linger: asyncio.TimerHandle | None = field(default=None, repr=False)

    @property
    def source(self) -> str:
        """What ICY's `icy-name` calls where it comes from: the service, or the site."""
        head, sep, _ = self.ref.partition(":")
        if sep and "://" not in self.ref:
            return head
        return urlsplit(self.ref).hostname or "ytplay"


class ServedItems:
    def __init__(self, session: SessionManager, *, linger: float = LINGER) -> None:
        self.session = session
        self.linger = linger
        self.open: dict[str, Served] = {}
        self._opening: dict[str, asyncio.Future[Served]] = {}

    async def hold(self, id_: str, ref: str) -> Served:
        """The item open, held until `release`; raises CannotServe."""
        served = self.open.get(id_)
        if served is not None and served.clients == 0 and self.session.degraded(id_):
            self._close(served)  # nothing valid was left: opened afresh
            served = None
        if served is None:
            future = self._opening.get(id_)
            if future is None:
                future = asyncio.ensure_future(self._open(id_, ref))
                self._opening[id_] = future
                future.add_done_callback(lambda f: self._opening.pop(id_, None))
                future.add_done_callback(lambda f: f.cancelled() or f.exception())
            served = await asyncio.shield(future)
        served.clients += 1
        if served.linger is not None:
            served.linger.cancel()
            served.linger = None
        return served

    def release(self, served: Served) -> None:
        served.clients -= 1
        if served.clients == 0 and self.open.get(served.id) is served:
            served.linger = asyncio.get_running_loop().call_later(
                self.linger, self._close, served)

    async def _open(self, id_: str, ref: str) -> Served:
        kind = self.session.kind(ref)
        if kind is RefKind.SERVICE:
            # A service counts its playback sessions against a stream limit: the ones no
            # player is connected to (a player moved on to this item) go first.
            for other in list(self.open.values()):
                if other.clients == 0 and self.session.kind(other.ref) is RefKind.SERVICE:
                    self._close(other)
        try:
            info, url, proxied = await self.session.open(id_, ref)
        except Exception as e:
            verdict = after_open_error(e)
            log.warning("cannot serve %s: %s", redact(ref), verdict.reason)
            if verdict.act is Act.SKIP:
                raise CannotServe(404, verdict.reason) from None
            if verdict.act is Act.PASS:
                raise CannotServe(503, verdict.reason, retry_after=15) from None
            raise CannotServe(502, verdict.reason) from None
        stream = self.session.stream(id_)
        served = Served(id_, ref, info, hls=stream is not None and stream.hls)
        if not proxied:
            if kind is not RefKind.FILE:  # a DASH manifest: only its own URLs would play
                self.session.close(id_)
                raise CannotServe(502, "its stream is a manifest (DASH) ytplay cannot relay")
            served.file = Path(url)
        self.open[id_] = served
        log.info("serving %s", redact(info.title or ref))
        return served

    def _close(self, served: Served) -> None:
        if served.linger is not None:
            served.linger.cancel()
        if self.open.get(served.id) is served:
            del self.open[served.id]
            self.session.close(served.id)
            log.info("let go of %s", redact(served.info.title or served.ref))

    def close_all(self) -> None:
        for served in list(self.open.values()):
            self._close(served)
