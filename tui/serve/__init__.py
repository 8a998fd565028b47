"""`ytplay serve`, `ytplay url` and `ytplay export` (docs/SERVE.md): ytplay's session for
every other player. A front end beside the Textual app and MPRIS, and a composition of its
own beside tui/factory.py: the session manager, its leases, the media cache and the proxy's
relay, with no terminal, no libmpv and no Textual (an import-linter contract). A player asks
for `http://HOST:PORT/<secret>/<id>`: stable across restarts, naming the item by an id, never
by an upstream URL, token or signature (_urls.py); the server checks it and has the relay
answer it (_server.py), the items are opened and kept fresh while they play (_items.py),
ICY metadata names them to players that ask (_icy.py).

`run(name, argv)` runs one of the three commands; nothing else is offered: the modules
behind it are private."""

from __future__ import annotations

COMMANDS = ("serve", "url", "export")


def run(name: str, argv: list[str]) -> int:
    """`ytplay NAME ARGV…`, NAME one of COMMANDS; its exit status."""
    from ._commands import run as command

    return command(name, argv)
