"""ICY metadata (the SHOUTcast/Icecast convention): a player that asks with `Icy-MetaData: 1`
is told `icy-metaint: N` and gets, after every N bytes of media, a block naming what plays,
`StreamTitle='Artist - Title';`, so that MPD, VLC and mpv show the title, not the URL.

Given on every request that asks, a ranged one (a seek) too, the blocks counted from the
first byte of that answer, which says so in its own `icy-metaint`. Not only on requests from
byte 0: libavformat (mpv's) keeps the `icy-metaint` of a stream's first answer for the
answers to its seeks, and took a block out of plain bytes every 16000 (heard as noise after
each seek). MPD and VLC hold a stream that carries ICY metadata to be unseekable, so a URL
can ask for none (`?icy=0`: `ytplay url --seekable`, and every URL of `ytplay export`, whose
playlist names the items); mpv seeks in either (docs/SERVE.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tui.core.sanitize import printable

if TYPE_CHECKING:
    from aiohttp.web_request import BaseRequest

METAINT = 16000          # bytes of media between two blocks: what Icecast sends
_MAX_TITLE = 255         # characters: a block holds 4080 bytes, a title this long fits
_NOTHING_NEW = b"\0"     # a block of length 0: the title has not changed


def wanted(request: web.Request) -> bool:
    """Whether `request` asks for ICY metadata (its URL allowing it)."""
    return request.headers.get("Icy-MetaData", "").strip() == "1"


def block(artist: str | None, title: str | None) -> bytes:
    """The metadata block naming an item. Titles are text from outside: control and format
    characters go (printable), and so does the quote that would end the value early: ICY
    has no escape that players agree on (MPD reads the value up to `';`), so an apostrophe
    becomes ’, which every player shows as one."""
    text = " - ".join(printable(part).strip() for part in (artist, title) if part and part.strip())
    text = text.replace("'", "\u2019")[:_MAX_TITLE]
    meta = f"StreamTitle='{text}';".encode()
    blocks = -(-len(meta) // 16)
    return bytes([blocks]) + meta.ljust(16 * blocks, b"\0")


def header_text(text: str) -> str:
    """`text` as a header value can carry it: printable ASCII."""
    return "".join(c for c in printable(text) if " " <= c <= "~").strip() or "ytplay"


class IcyResponse(web.StreamResponse):
    """A response whose body is the media with a metadata block every METAINT bytes. It has
    no Content-Length (the blocks add to the body); a ranged one keeps the Content-Range of
    the media it carries, which tells a player the whole length."""

    def __init__(self, *, status: int, name: str, first: bytes) -> None:
        super().__init__(status=status)
        self._name = name
        self._next_block = first      # the title, then "nothing new"
        self._left = METAINT          # media bytes before the next block

    async def prepare(self, request: BaseRequest) -> object:
        self.headers["icy-metaint"] = str(METAINT)
        self.headers["icy-name"] = header_text(self._name)
        self.headers.popall("Content-Length", None)
        return await super().prepare(request)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        view, out = memoryview(data), bytearray()
        while view:
            take = min(len(view), self._left)
            out += view[:take]
            view = view[take:]
            self._left -= take
            if not self._left:
                out += self._next_block
                self._next_block, self._left = _NOTHING_NEW, METAINT
        await super().write(bytes(out))
