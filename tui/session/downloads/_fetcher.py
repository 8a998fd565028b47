"""Fetching what the media cache lacks of one open stream, range by range, at full speed
(_downloads.py says what a download is). The stream is open in the session
manager under `key`: each request goes to its current upstream (URL, headers, bearer token),
and a failure is handled by class as the proxy handles it (docs/ARCHITECTURE.md, "Failure
classes"): expired or unauthorised → renewed through the manager; transient → backed off
under the one retry policy and budget; a body cut short → on from the byte reached;
deterministic, or too many in a row without a byte of progress → given up."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from tui.core.errors import GaveUp, ServiceError
from tui.core.events import SessionEvent
from tui.core.failures import Failure, FailureClass, Network
from tui.core.redact import redact
from tui.session.cache import CacheState, CacheTee, MediaCache, span_of
from tui.session.proxy import Upstream
from tui.session.services import failure_of, network_failure
from tui.session.streams import SessionManager

CHUNK = 256 * 1024
SETTLE_EVERY = 8 << 20    # bytes handed to the cache between waits for its writer (its
                          # queue holds 32 MiB; past that it would drop what it is given)


DID_NOT_CHECK_OUT = ("the whole file came but did not check out against the checksum the "
                     "server sent with it: the server sends a broken file or a wrong checksum")


class CacheRefused(Exception):
    """The cache took no more of the bytes (bypassed, or the cap is full of downloads)."""


class Fetcher:
    def __init__(self, session: SessionManager, cache: MediaCache, tee: CacheTee, key: str,
                 ref: str, *, resource: str,
                 progress: Callable[[int, int | None, float], None],
                 retrying: Callable[[str], None]) -> None:
        self.session = session
        self.cache = cache
        self.tee = tee
        self.key = key
        self.ref = ref
        self.resource = resource
        self.progress = progress
        self.retrying = retrying
        self._failures = 0           # in a row without a byte of progress

    async def run(self) -> None:
        """Until the entry is complete (raises when it cannot be)."""
        while True:
            await asyncio.to_thread(self.cache.flush_now)  # what was written counts
            info = self.cache.lookup(self.ref)
            if info.state is CacheState.COMPLETE:
                return
            length = info.length
            # From the first byte missing to the end: what a kill or a cut left is fetched
            # from where it stopped (bytes cached further on, after a seek, come again).
            start = self.cache.run_end(self.ref, 0)
            if length is not None and start >= length:
                # Every byte is there but no writer completed it (read back from disk so):
                # an empty write at the end has the store check and complete it.
                if self._failures >= 1:
                    raise ServiceError("the downloaded file did not check out",
                                       Failure(status=422))
                self._failures += 1
                if (w := self.cache.writer(self.ref, length, length=length)) is not None:
                    w.close()
                continue
            await self._attempt(start, info.cached)

    async def _attempt(self, start: int, cached: int) -> None:
        """One request from byte `start` (`cached` bytes are in the cache already): on a
        failure, recover for the next one or raise."""
        import httpx  # loaded on first use: after the first frame

        upstream = self.session.upstream(self.key)
        if upstream is None:
            raise GaveUp("the stream was closed")
        headers = dict(upstream.headers)
        headers["Range"] = f"bytes={start}-"
        offset = missing = start   # progress is a byte past `missing`, the first not cached
        try:
            async with self.session.http.stream("GET", upstream.url, headers=headers) as up:
                self.session.answered(str(up.url), up.headers)  # its origin's clock
                if up.status_code >= 400:
                    raise await failure_of(up, signed_url=True)
                if up.status_code == 200 and start:
                    start = offset = cached = 0  # the Range was ignored: the whole file again
                writer = self.tee.sink(self.key, up.status_code, up.headers, start)
                if writer is None:
                    if self.cache.lookup(self.ref).state is CacheState.COMPLETE:
                        return  # completed meanwhile (it was playing, and the tee kept it)
                    placed = span_of(up.status_code, up.headers, start) is not None
                    raise CacheRefused(self._refusal() if placed else
                                       "the server's answer cannot be kept (no length or "
                                       "range, or compressed)")
                begun, handed = time.monotonic(), 0
                total = self.cache.length(self.ref)
                try:
                    async for chunk in up.aiter_raw(CHUNK):
                        writer.write(chunk)
                        offset += len(chunk)
                        handed += len(chunk)
                        if offset > missing:  # not bytes a Range-less answer repeats
                            self._failures = 0
                        if handed >= SETTLE_EVERY:
                            handed = 0
                            await asyncio.to_thread(self.cache.flush_now)
                            if self.cache.run_end(self.ref, start) < offset:
                                raise CacheRefused(self._refusal())
                        # Bytes already buffered come without a pause: let the loop
                        # (the UI) run between chunks, or a fast link would hold it.
                        await asyncio.sleep(0)
                        elapsed = time.monotonic() - begun
                        total = self.cache.length(self.ref)
                        done = cached + offset - start
                        self.progress(min(done, total) if total else done, total,
                                      (offset - start) / elapsed if elapsed > 0 else 0.0)
                except httpx.TransportError as e:
                    raise ServiceError(f"cut off at byte {offset}: {type(e).__name__}",
                                       Failure(network=Network.PREMATURE_EOF)) from None
                finally:
                    writer.close()
            await asyncio.to_thread(self.cache.flush_now)
            if self.cache.run_end(self.ref, start) < offset:
                if total is not None and offset >= total:
                    # All of it was there: the store dropped it at completion, not the cap.
                    raise ServiceError(DID_NOT_CHECK_OUT, Failure(status=422))
                raise CacheRefused(self._refusal())
            return
        except httpx.TransportError as e:
            error = ServiceError(f"{type(e).__name__} reaching upstream", network_failure(e))
        except ServiceError as e:
            error = e
        if offset > missing and error.failure.network is Network.PREMATURE_EOF:
            self.retrying(f"cut off at byte {offset}; going on from there")
            return  # progress: the next request starts where this one stopped
        self._failures += 1
        await self._recover(upstream, error)

    def _refusal(self) -> str:
        if self.cache.bypassed:
            return f"the media cache cannot be written: {self.cache.bypassed}"
        if not self.cache.enabled:
            return "the media cache is off ([cache] enabled)"
        return "the media cache is full of downloads: raise [cache] max_size or remove some"

    async def _recover(self, upstream: Upstream, error: ServiceError) -> None:
        """Make the next attempt worth making, or raise."""
        cls = error.failure_class
        retrier = self.session.retrier
        attempts = retrier.policy.attempts
        text = redact(str(error))
        if cls is FailureClass.DETERMINISTIC or self._failures >= attempts:
            self.session.emit(SessionEvent(self.resource, "gave up", cls.value,
                                           self._failures, attempts, error=text))
            raise error if cls is FailureClass.DETERMINISTIC else GaveUp(
                f"{self.resource}: gave up after {attempts} attempts: {text}", error.failure)
        if cls in (FailureClass.EXPIRED, FailureClass.AUTH):
            self.retrying(f"{text}; renewing")
            await self.session.renew(self.key, upstream, error)
            return
        if not retrier.budget.try_spend():
            self.session.emit(SessionEvent(self.resource, "gave up", "transient",
                                           self._failures, attempts,
                                           error=f"retry budget exhausted; {text}"))
            raise GaveUp(f"{self.resource}: retry budget exhausted: {text}", error.failure)
        delay = retrier.policy.delay(self._failures, retrier.rng, error.retry_after)
        self.session.emit(SessionEvent(self.resource, "retrying", "transient",
                                       self._failures + 1, attempts, delay, text))
        self.retrying(f"{text}; again in {delay:.1f} s")
        await retrier.sleep(delay)
