"""Injected latency, 5xx answers, refused HLS segments and dropped connections, as aiohttp
middleware; and the service's clock, off by `clock_offset`, in every answer's `Date`."""

from __future__ import annotations

import asyncio
from email.utils import formatdate
from typing import Awaitable, Callable

from aiohttp import web

from .state import STATE, error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(request.app[STATE].options.fault_paths):
        return await handler(request)
    return await _faulty(request, handler)


async def skewed_date(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer says the time by the service's own clock, off by `clock_offset`, as a
    server whose clock is wrong does: the API's, the pages', and the media's, those sent
    at a pace included (prepared by their handler, where no middleware reaches)."""
    opts = request.app[STATE].options
    if opts.clock_offset:
        response.headers["Date"] = formatdate(opts.now(), usegmt=True)


async def _faulty(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    opts = state.options
    if opts.latency > 0:
        await asyncio.sleep(opts.latency)
    if opts.deny_segments > 0 and request.path.endswith(".ts"):
        opts.deny_segments -= 1
        state.counts["fault:segment-403"] += 1
        return error(403, "url_expired", "injected fault: segment URL refused")
    burst = opts.fail_next > 0
    if burst:
        opts.fail_next -= 1
    if burst or (opts.fail_rate > 0 and state.rng.random() < opts.fail_rate):
        state.counts["fault:503"] += 1
        return error(503, "unavailable", "injected fault", **{"Retry-After": "1"})
    return await handler(request)
