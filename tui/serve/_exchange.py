"""An aiohttp request as the relay's `Exchange` (tui/core/exchange.py): `ytplay serve`
takes requests in with aiohttp and has the loopback proxy's relay answer them."""

from __future__ import annotations

from typing import Callable, Mapping

from aiohttp import web

from tui.core.exchange import Answer


class AiohttpExchange:
    """`request`, answered with aiohttp's responses; `stream` makes the one a relayed body
    is written into (a shaped one: ICY), web.StreamResponse where it is not given."""

    def __init__(self, request: web.Request,
                 stream: Callable[[int], web.StreamResponse] | None = None) -> None:
        self.request = request
        self.method = request.method
        self.path = request.path
        self._stream = stream or (lambda status: web.StreamResponse(status=status))

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    def plain(self, status: int, text: str = "", *, body: bytes | None = None,
              content_type: str | None = None,
              headers: Mapping[str, str] | None = None) -> web.Response:
        if body is None:
            return web.Response(status=status, text=text, content_type=content_type,
                                headers=headers)
        headers = {**(headers or {}), **({"Content-Type": content_type} if content_type else {})}
        return web.Response(status=status, body=body, headers=headers)

    def stream(self, status: int) -> web.StreamResponse:
        return self._stream(status)

    async def start(self, answer: Answer) -> None:
        assert isinstance(answer, web.StreamResponse)
        await answer.prepare(self.request)

    def hang_up(self) -> None:
        if self.request.transport is not None:
            self.request.transport.close()
