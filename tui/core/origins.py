"""Origins (scheme, host, port), to decide where credentials may go: only to the origin
they belong to, never to another one a redirect names, never downgraded to plain HTTP."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """`scheme://host:port`, lower-cased, with the default port spelled out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or _DEFAULT_PORTS.get(scheme, 0)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6
    return f"{scheme}://{host}:{port}"


def redirect_target(url: str, location: str) -> str:
    return urljoin(url, location)


def same_origin(a: str, b: str) -> bool:
    return origin(a) == origin(b)


def allowed(url: str, origins: frozenset[str]) -> bool:
    """`url` is under one of `origins` (each as `origin()` gives it)."""
    return origin(url) in origins
