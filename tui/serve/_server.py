"""`ytplay serve`'s HTTP server: what a player asks for is checked here (the secret, the
Host, the cap), its item held open (ServedItems), and the request answered by the loopback
proxy's relay (`StreamProxy.answer`): Range and HEAD, re-issued from the same byte when the
upstream URL or token expires or the connection is cut, HLS playlist by playlist, and what
the media cache holds answered from it. ICY metadata is shaped here (_icy.py).

For the session manager it is the proxy's `Relay` port: the streams it opens are served
here. Nothing an upstream said reaches a player in an error: the body is the status's
words, the reason goes to the log (redacted)."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Callable

from aiohttp import web

from tui.session.proxy import StreamProxy, host_and_port

from . import _icy as icy
from ._exchange import AiohttpExchange
from ._guarded_site import GuardedSite
from ._items import CannotServe, Served, ServedItems
from ._urls import LOOPBACK_NAMES, SEEKABLE

_ITEM = "/{secret}/{id:[A-Za-z0-9_-]{22}}"
_IDLE = 60.0   # s a connection may sit with no request under way (a paused one has one)
_REASONS = {404: "Not Found", 410: "Gone", 416: "Range Not Satisfiable",
            421: "Misdirected Request", 502: "Bad Gateway", 503: "Service Unavailable"}


def _plain(status: int, retry_after: int | None = None) -> web.Response:
    """An error for a player: its status's words and nothing else."""
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.Response(status=status, text=f"{status} {_REASONS.get(status, 'Error')}\n",
                        headers=headers)


class Server:
    def __init__(self, proxy: StreamProxy, items: ServedItems, lookup: Callable[[str], str | None],
                 *, secret: str, host: str, port: int, names: list[str],
                 max_clients: int = 16) -> None:
        """`lookup`: the reference an id stands for (`ServedRefs.lookup`)."""
        self.proxy = proxy
        self.items = items
        self.lookup = lookup
        self.secret = secret.encode()
        self.host = host
        self.port = port
        self.names = frozenset(n.lower() for n in names) | LOOPBACK_NAMES
        self.max_clients = max_clients
        self.active = 0
        self._site = GuardedSite()

    # --- the proxy's Relay port, for the session manager ----------------------------------

    async def start(self) -> None:
        """Listen (raises OSError: the address is taken, or not this machine's)."""
        if self._site.listening:
            return
        app = web.Application()
        app.router.add_get(_ITEM, self._item)
        app.router.add_get(_ITEM + "/index.m3u8", self._item)
        app.router.add_get(_ITEM + r"/{seq:\d{1,15}}.{ext:[a-z0-9]{1,5}}", self._item)
        await self._site.start(app, self.host or None, self.port, cap=4 * self.max_clients + 8,
                               idle=_IDLE, reuse_address=True)

    def url_for(self, key: str, *, hls: bool = False) -> str:
        return f"/{self.secret.decode()}/{key}" + ("/index.m3u8" if hls else "")

    async def stop(self) -> None:
        await self._site.stop()

    # --- requests -------------------------------------------------------------------------

    def _host_allowed(self, request: web.Request) -> bool:
        """The Host names a name this server answers to, on its port: an IP address, a
        loopback name or one of [serve] names. A page that made a browser ask (DNS
        rebinding) names its own host."""
        name, port = host_and_port(request.headers.get("Host", ""))
        if port != str(self.port):
            return False
        name = name.strip("[]").lower()
        if name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    async def _item(self, request: web.Request) -> web.StreamResponse:
        # As bytes: compare_digest refuses non-ASCII str, and a path is the client's text.
        given = request.match_info["secret"].encode("utf-8", "surrogateescape")
        if not secrets.compare_digest(given, self.secret):
            return _plain(404)  # before anything is looked up: it costs nothing
        if not self._host_allowed(request):
            return _plain(421)
        id_ = request.match_info["id"]
        ref = self.lookup(id_)
        if ref is None:
            return _plain(404)
        if self.active >= self.max_clients:
            return _plain(503, retry_after=2)
        self.active += 1
        self._site.busy(request.transport, +1)
        try:
            try:
                served = await self.items.hold(id_, ref)
            except CannotServe as e:
                return _plain(e.status, e.retry_after)
            try:
                return _shown(await self._answer(request, served))
            finally:
                self.items.release(served)
        finally:
            self.active -= 1
            self._site.busy(request.transport, -1)

    async def _answer(self, request: web.Request, served: Served) -> web.StreamResponse:
        seq = request.match_info.get("seq")
        playlist = request.path.endswith("/index.m3u8")
        if served.file is not None:
            if playlist or seq is not None:
                return _plain(404)
            return web.FileResponse(served.file)
        if served.hls:
            if not playlist and seq is None:  # the player is sent where the relay is
                raise web.HTTPFound(f"/{request.match_info['secret']}/{served.id}/index.m3u8")
            return await self._relayed(AiohttpExchange(request), served.id,
                                       playlist=playlist,
                                       segment=None if seq is None else int(seq))
        if playlist or seq is not None:
            return _plain(404)
        stream: Callable[[int], web.StreamResponse] | None = None
        if request.query_string != SEEKABLE and icy.wanted(request):
            first = icy.block(served.info.artist, served.info.title)
            name = served.source

            def stream(status: int) -> web.StreamResponse:
                return icy.IcyResponse(status=status, name=name, first=first)
        return await self._relayed(AiohttpExchange(request, stream), served.id)

    async def _relayed(self, exchange: AiohttpExchange, key: str, *, playlist: bool = False,
                       segment: int | None = None) -> web.StreamResponse:
        answer = await self.proxy.answer(exchange, key, playlist=playlist, segment=segment)
        assert isinstance(answer, web.StreamResponse)  # what AiohttpExchange makes
        return answer


def _shown(response: web.StreamResponse) -> web.StreamResponse:
    """An error the relay made (its text says what upstream answered) as the status alone;
    what was sent already stays."""
    if isinstance(response, web.Response) and response.status >= 400 and not response.prepared:
        retry = response.headers.get("Retry-After")
        return _plain(response.status, int(retry) if retry and retry.isdigit() else None)
    return response
