"""Between the loopback proxy and the media cache (docs/ARCHITECTURE.md, "The media cache"):
what the proxy relays is also handed to the cache, by range; what the cache holds is
answered from it. A request the cache covers from its first byte is answered from the file
up to the first gap, and the proxy relays the rest from upstream into the same response:
so a fully cached item needs no upstream request at all, and a partly cached one fetches
only what is missing from where libmpv reads."""

from __future__ import annotations

import base64
import logging
import re
from typing import TYPE_CHECKING, Callable, Mapping

from ._index import CacheState
from ._media_cache import MediaCache
from ._writes import RangeWriter

if TYPE_CHECKING:
    from tui.core.exchange import Answer, Exchange

log = logging.getLogger(__name__)

READ = 256 * 1024                       # bytes read from the file at a time
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_REPR_DIGEST = re.compile(r"sha-256=:([A-Za-z0-9+/=]+):", re.I)
_DIGEST = re.compile(r"sha-256=([A-Za-z0-9+/=]+)", re.I)


def checksum_of(headers: Mapping[str, str], whole: bool) -> str | None:
    """The whole file's checksum where the response says it: RFC 9530 `Repr-Digest`, the
    older `Digest`, or `Content-MD5` (only on a whole-file answer: on a 206 it is the
    part's). As "sha256:<hex>" or "md5:<hex>"."""
    for name, pattern in (("Repr-Digest", _REPR_DIGEST), ("Digest", _DIGEST)):
        m = pattern.search(headers.get(name, ""))
        if m:
            try:
                return "sha256:" + base64.b64decode(m.group(1), validate=True).hex()
            except ValueError:
                return None
    md5 = headers.get("Content-MD5")
    if whole and md5:
        try:
            return "md5:" + base64.b64decode(md5, validate=True).hex()
        except ValueError:
            return None
    return None


def span_of(status: int, headers: Mapping[str, str], offset: int) -> tuple[int, int | None] | None:
    """Where an upstream answer's body sits in the file, and the file's length: None when
    it cannot be placed (so it is not cached)."""
    if headers.get("Content-Encoding", "identity").lower() != "identity":
        return None  # the bytes on the wire are not the file's
    if status == 200:
        length = headers.get("Content-Length", "")
        return (0, int(length)) if offset == 0 and length.isdigit() else None
    if status == 206:
        m = _CONTENT_RANGE.match(headers.get("Content-Range", "").strip())
        if m is None or int(m.group(1)) != offset:
            return None
        return offset, None if m.group(3) == "*" else int(m.group(3))
    return None


class CacheTee:
    """`refs` names the queue item a proxy key plays (the cache's key), or None."""

    def __init__(self, cache: MediaCache, refs: Callable[[str], str | None]) -> None:
        self.cache = cache
        self.refs = refs

    def sink(self, key: str, status: int, headers: Mapping[str, str],
             offset: int) -> RangeWriter | None:
        """Where the body of this upstream answer goes, from `offset`; None: nowhere."""
        ref = self.refs(key)
        span = span_of(status, headers, offset) if ref is not None else None
        if ref is None or span is None:
            return None
        etag = headers.get("ETag")
        return self.cache.writer(ref, span[0], length=span[1],
                                 content_type=headers.get("Content-Type"),
                                 checksum=checksum_of(headers, status == 200),
                                 etag=None if etag is None or etag.startswith("W/") else etag)

    async def serve(self, request: Exchange, key: str, offset: int, last: int | None
                    ) -> tuple[Answer, int, int] | None:
        """Answer from the cache as far as it holds the bytes asked for: the prepared
        response, the offset reached, and one past the last byte the response promised
        (the two equal when it is answered whole, ended, a HEAD, or libmpv hung up). None
        when the cache holds nothing from `offset` (the proxy relays it all). The response
        is the front end's `request.stream(...)`, which it may shape."""
        ref = self.refs(key)
        if ref is None or not self.cache.enabled:
            return None
        length = self.cache.length(ref)
        if length is None:
            return None
        if offset >= length:
            if self.cache.lookup(ref).state is not CacheState.COMPLETE:
                return None  # upstream answers that
            return request.plain(416, headers={"Content-Range": f"bytes */{length}"}), 0, 0
        end = length if last is None else min(last + 1, length)
        have = min(self.cache.run_end(ref, offset), end)
        if have <= offset:
            return None
        ranged = "Range" in request.headers
        response = request.stream(206 if ranged else 200)
        info = self.cache.lookup(ref)
        if info.content_type:
            response.headers["Content-Type"] = info.content_type
        response.headers["Accept-Ranges"] = "bytes"
        if ranged:
            response.headers["Content-Range"] = f"bytes {offset}-{end - 1}/{length}"
        response.content_length = end - offset
        self.cache.hold(ref)
        try:
            await request.start(response)
            if request.method == "HEAD":  # its headers are the answer
                await response.write_eof()
                return response, end, end
            at = offset
            while at < have:
                try:
                    data = await self.cache.read(ref, at, min(READ, have - at))
                except OSError as e:  # the file went away or broke: upstream has it
                    log.warning("media cache: read failed at byte %d: %s", at, e)
                    break
                if not data:
                    break
                await response.write(data)
                at += len(data)
            if at >= end:
                await response.write_eof()
        except ConnectionResetError:
            return response, end, end  # libmpv hung up (a seek, a stop): nothing to answer
        finally:
            self.cache.release(ref)
            self.cache.touch(ref)
        return response, at, end
