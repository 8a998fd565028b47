"""An answer's body read with a cap. A hostile server (or one it redirects to) can answer
with gigabytes, or a chunked body that never ends: read whole, that is held in memory
before its size can be looked at. Here it is refused as soon as it passes what the answer
can sensibly be, and before a byte is read when its Content-Length says so already."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


def _declared_too_large(response: httpx.Response, limit: int) -> bool:
    """Whether the response's Content-Length says more than `limit` bytes. One that is not
    plain ASCII digits says nothing (int() would read full-width digits)."""
    declared = response.headers.get("Content-Length", "").strip()
    return declared.isascii() and declared.isdigit() and int(declared) > limit


async def read_capped(response: httpx.Response, limit: int) -> bytes | None:
    """The body of a response opened with `stream` (httpx's `client.stream`, or `send` with
    stream=True), or None when it is larger than `limit` bytes: the rest is never read
    (closing the response drops the connection)."""
    if _declared_too_large(response, limit):
        return None
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
