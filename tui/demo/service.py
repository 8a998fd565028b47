"""Running the demo service on 127.0.0.1 in a thread of its own, with its own event loop.

The listening socket is bound at `start()`, so `base_url` is known and connections wait in
the backlog; the HTTP server stack (aiohttp, the routes, the token authority) is loaded on
that thread when the first connection arrives. `ytplay --demo` starts the service before its
first frame and first asks it for something after: the ~200 ms of imports stay out of the
way of start-up."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
from typing import TYPE_CHECKING

from .options import DemoOptions

if TYPE_CHECKING:  # imported on the service's thread, when it is first asked for something
    from aiohttp import web

    from .state import DemoState

log = logging.getLogger(__name__)


def make_app(state: DemoState) -> web.Application:
    from aiohttp import web

    from . import api, hls, media
    from .faults import inject_faults, skewed_date
    from .state import STATE

    app = web.Application(middlewares=[inject_faults])
    app.on_response_prepare.append(skewed_date)
    app[STATE] = state
    app.add_routes(api.routes)
    app.add_routes(media.routes)
    app.add_routes(hls.routes)
    return app


def _listen(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:`port`, or on a free port if that one is taken."""
    for candidate in dict.fromkeys((port, 0)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp's sites
            sock.bind(("127.0.0.1", candidate))
            sock.listen(128)
        except OSError as e:
            sock.close()
            if e.errno != errno.EADDRINUSE or candidate == 0:
                raise
            log.info("port %d is in use; the demo service takes a free one", candidate)
            continue
        sock.setblocking(False)
        return sock
    raise AssertionError("unreachable")


class DemoService:
    """`with DemoService(options) as svc:` serves at `svc.base_url` until the block ends."""

    def __init__(self, options: DemoOptions | None = None) -> None:
        self.options = options or DemoOptions()
        self.port = 0
        self._state: DemoState | None = None
        self._state_lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> DemoState:
        """What the service remembers (tokens, sessions, counts); made on first use."""
        with self._state_lock:
            if self._state is None:
                from .state import DemoState

                self._state = DemoState.create(self.options)
            return self._state

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def watch_url(self, media_id: str) -> str:
        return f"{self.base_url}/watch/{media_id}"

    def hls_url(self, stream: str) -> str:
        """The page of a track's HLS stream, or of the live station (`"live"`)."""
        return f"{self.base_url}/hls/{stream}"

    def start(self) -> "DemoService":
        """Listen at once (raises OSError if no port can be had); serve on a thread."""
        try:
            self._sock = _listen(self.options.port)
        except OSError as e:
            raise RuntimeError(f"the demo service could not start: {e}") from None
        self.port = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="demo-service", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        serving = loop.create_task(self._serve())
        loop.run_forever()
        serving.cancel()
        loop.run_until_complete(asyncio.gather(serving, return_exceptions=True))
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        loop = asyncio.get_running_loop()
        asked = loop.create_future()
        loop.add_reader(sock, lambda: asked.done() or asked.set_result(None))
        try:
            await asked  # the first connection is waiting in the backlog
        finally:
            loop.remove_reader(sock)
        try:
            from aiohttp import web

            self._runner = web.AppRunner(make_app(self.state), access_log=None,
                                         handler_cancellation=True)
            await self._runner.setup()
            await web.SockSite(self._runner, sock).start()
        except Exception:
            # Nothing would ever answer: refuse connections rather than let clients hang.
            log.exception("the demo service could not start")
            sock.close()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._sock is not None:
            self._sock.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    def __enter__(self) -> "DemoService":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
