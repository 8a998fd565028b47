"""`ytplay serve` running: the config read, the log opened (its own file: a ytplay playing
at the same time rotates ytplay.log), the secret made or read, the session composed
(_compose.py), the server listening, until SIGTERM or SIGINT, then everything closed in
order: the server first (no new request, the connections cut), the items let go (playback
sessions stopped), the session, the media cache, yt-dlp's process."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from contextlib import AsyncExitStack
from pathlib import Path

from tui.config.paths import data_dir, log_dir
from tui.config.schema import Config

from ._compose import session_for
from ._items import ServedItems
from ._server import Server
from ._urls import ServedRefs, is_loopback, parse_listen, secret

log = logging.getLogger(__name__)

UNUSABLE = 2   # the config, the address or a file ytplay needs cannot be used


def exposure(listen: str) -> str:
    """What listening at `listen` beyond loopback gives away, in words."""
    return (f"ytplay serve listens on {listen}, beyond this machine: whoever reaches that "
            "address and holds one of its URLs (each carries the secret) plays whatever your "
            "accounts, tokens and cookies can open, and the URLs cross the network in clear "
            "text (plain HTTP). Upstream URLs, tokens and cookies themselves never leave it")


def run(args: argparse.Namespace, config: Config) -> int:
    from tui.logsetup import LogFileError, setup_logging

    listen = args.listen or config.serve.listen
    try:
        host, port = parse_listen(listen)
    except ValueError as e:
        print(f"ytplay serve: {e}", file=sys.stderr)
        return UNUSABLE
    beyond = not is_loopback(host)
    if beyond and not (args.expose or config.serve.expose):
        print(f"ytplay serve: {listen} is beyond loopback, and nothing said to expose it. "
              f"{exposure(listen)}. To mean it, add --expose (or set [serve] expose = true).",
              file=sys.stderr)
        return UNUSABLE
    log_file = Path(config.log.file).expanduser() if config.log.file else log_dir() / "serve.log"
    try:
        setup_logging(log_file, config.log.level.upper())
        key = secret(data_dir())
    except (LogFileError, OSError, ValueError) as e:
        print(f"ytplay serve: {e}", file=sys.stderr)
        return UNUSABLE
    if beyond:
        print(f"ytplay serve: {exposure(listen)}.", file=sys.stderr)
        log.warning("%s", exposure(listen))
    return asyncio.run(_serve(config, host, port, key, listen))


async def _serve(config: Config, host: str, port: int, key: str, listen: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with AsyncExitStack() as resources:
        session, proxy = await session_for(config, resources)
        items = ServedItems(session)
        resources.callback(items.close_all)  # (before the session closes: pushed after it)
        server = Server(proxy, items, ServedRefs(data_dir()).lookup, secret=key, host=host,
                        port=port, names=config.serve.names,
                        max_clients=config.serve.max_clients)
        session.relay = server
        try:
            await server.start()
        except OSError as e:
            print(f"ytplay serve: cannot listen on {listen}: {e.strerror or e}", file=sys.stderr)
            return UNUSABLE
        resources.push_async_callback(server.stop)
        print(f"ytplay serve: listening on {listen}; `ytplay url REF` prints an item's URL",
              file=sys.stderr, flush=True)
        log.info("listening on %s", listen)
        await stop.wait()
        log.info("ending: a signal asked it to")
    return 0
