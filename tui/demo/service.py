"""Running the demo service on 127.0.0.1 in a thread of its own, with its own event loop."""

from __future__ import annotations

import asyncio
import errno
import logging
import threading

from aiohttp import web

from . import api, media
from .faults import inject_faults
from .options import DemoOptions
from .state import STATE, DemoState

log = logging.getLogger(__name__)


def make_app(state: DemoState) -> web.Application:
    app = web.Application(middlewares=[inject_faults])
    app[STATE] = state
    app.add_routes(api.routes)
    app.add_routes(media.routes)
    return app


class DemoService:
    """`with DemoService(options) as svc:` serves at `svc.base_url` until the block ends."""

    def __init__(self, options: DemoOptions | None = None) -> None:
        self.options = options or DemoOptions()
        self.state = DemoState.create(self.options)
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def watch_url(self, media_id: str) -> str:
        return f"{self.base_url}/watch/{media_id}"

    def start(self, timeout: float = 10.0) -> "DemoService":
        self._thread = threading.Thread(target=self._run, name="demo-service", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the demo service did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the demo service could not start: {self._error}")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as e:  # reported to start()'s caller, not lost in a thread
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _serve(self) -> None:
        self._runner = web.AppRunner(make_app(self.state), access_log=None,
                                     handler_cancellation=True)
        await self._runner.setup()
        for port in dict.fromkeys((self.options.port, 0)):
            try:
                await web.TCPSite(self._runner, "127.0.0.1", port).start()
                break
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
                log.info("port %d is in use; the demo service takes a free one", port)
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    def __enter__(self) -> "DemoService":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
