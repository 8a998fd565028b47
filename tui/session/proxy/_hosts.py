"""The Host header a request names, read alike by every front end that checks it (the
loopback proxy, `ytplay serve`): a page in a browser that is made to ask (DNS rebinding)
names its own host there."""

from __future__ import annotations


def host_and_port(host: str) -> tuple[str, str]:
    """A Host header's name and port ("" where it names none): "[::1]:8080" → ("[::1]",
    "8080"), "[::1]" → ("[::1]", "")."""
    name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    return name, port
