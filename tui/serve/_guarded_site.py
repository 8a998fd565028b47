"""A guard around `ytplay serve`'s HTTP server (aiohttp's, which also serves kept files
whole, ranged and conditional): a cap on open connections and a deadline for idle ones, so
a flood of connections that never finish a request (or never send one) cannot use up file
descriptors or crowd out the players.

aiohttp's server has a keep-alive timeout but neither a connection cap nor a deadline for
a request's headers; this wraps the protocol factory it hands to asyncio instead of
replacing the server."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from aiohttp import web


class GuardedSite:
    """An aiohttp application listening behind a ConnectionGuard."""

    def __init__(self) -> None:
        self.guard: ConnectionGuard | None = None
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None

    @property
    def listening(self) -> bool:
        return self._runner is not None

    async def start(self, app: web.Application, host: str | None, port: int, *, cap: int,
                    idle: float, **listen: Any) -> None:
        """Listen on `host`:`port` (0: any free port; `port` says which); raises OSError
        where the address is taken or not this machine's."""
        from aiohttp import web

        runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                               shutdown_timeout=1.0)
        await runner.setup()
        assert runner.server is not None
        self.guard = ConnectionGuard(runner.server, cap=cap, idle=idle)
        try:
            self._server = await asyncio.get_running_loop().create_server(
                self.guard, host, port, **listen)
        except BaseException:
            await runner.cleanup()
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        self._runner = runner

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def busy(self, transport: asyncio.BaseTransport | None, delta: int) -> None:
        """A request on `transport` started (+1) or finished (-1)."""
        if self.guard is not None:
            self.guard.busy(transport, delta)


class ConnectionGuard:
    """At most `cap` connections; one that has no request being answered for `idle`
    seconds is closed. When full, the longest-idle connection makes room for a new one."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], *, cap: int = 64,
                 idle: float = 15.0) -> None:
        self._factory = factory
        self.cap = cap
        self.idle = idle
        self._open: dict[_Guarded, None] = {}   # oldest first
        self._busy: dict[asyncio.BaseTransport, int] = {}

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self, self._factory())

    def __len__(self) -> int:
        return len(self._open)

    def busy(self, transport: asyncio.BaseTransport | None, delta: int) -> None:
        """A request on `transport` started (+1) or finished (-1)."""
        if transport is None:
            return
        n = self._busy.get(transport, 0) + delta
        if n > 0:
            self._busy[transport] = n
        else:
            self._busy.pop(transport, None)
            for conn in self._open:
                if conn.transport is transport:
                    conn.rest()

    def _admit(self, conn: "_Guarded") -> bool:
        if len(self._open) >= self.cap:
            idle = [c for c in self._open if c.transport not in self._busy]
            if not idle:
                return False
            min(idle, key=lambda c: c.since).close()
        self._open[conn] = None
        return True


class _Guarded(asyncio.Protocol):
    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.transport: asyncio.BaseTransport | None = None
        self.since = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._admitted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        if not self.guard._admit(self):
            transport.close()
            return
        self._admitted = True
        self.rest()
        self.inner.connection_made(transport)

    def rest(self) -> None:
        """Idle from now: closed unless a request starts within the deadline."""
        loop = asyncio.get_running_loop()
        self.since = loop.time()
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(self.guard.idle, self._expire)

    def _expire(self) -> None:
        self._timer = None
        if self.transport in self.guard._busy:
            self.rest()  # answering a request: it ends, then the deadline starts over
        else:
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.guard._open.pop(self, None)
        if self.transport is not None:
            self.guard._busy.pop(self.transport, None)
        if self._admitted:
            self.inner.connection_lost(exc)
