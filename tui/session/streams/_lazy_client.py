"""The session's one HTTP client, made on first use (docs/ARCHITECTURE.md, "Layers": what
the first frame does not show waits for it)."""

from __future__ import annotations

import os
import re
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # httpx is loaded with the first request, after the first frame (~50 ms)
    import httpx

_HASHED = re.compile(r"^[0-9a-f]{8}\.\d+$")   # how OpenSSL names a certificate in a directory


def trust(capath: str | None = None) -> ssl.SSLContext | bool:
    """What the client trusts: the OS's certificate directory, read lazily, where it has
    one; else what httpx trusts (certifi's bundle, or the SSL_CERT_FILE / SSL_CERT_DIR the
    environment names).

    httpx loads certifi's whole bundle into every client it makes, 1.8 MiB of a playing
    process that stays (`make bench ARGS=playing`); from a directory of hashed names OpenSSL
    loads only the certificates a handshake names. It is the OS's own store (on Debian the
    same Mozilla list, with what the admin added), the one Python's ssl trusts by default.
    `capath`: the directory (OpenSSL's default where not given)."""
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return True
    folder = capath or ssl.get_default_verify_paths().capath
    try:
        hashed = folder is not None and any(_HASHED.match(p.name) for p in Path(folder).iterdir())
    except OSError:
        hashed = False
    return ssl.create_default_context(capath=folder) if hashed else True


class LazyClient:
    """The session's `httpx.AsyncClient`, made on first use: importing httpx takes ~50 ms,
    which the first frame does not need (with --demo the first request is made once the UI
    is up). Everything but `aclose` is the client's own."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    @property
    def client(self) -> httpx.AsyncClient:
        import httpx  # loaded on first use: after the first frame

        if self._client is None:
            if self._closed:  # as httpx says of a closed client; none is made after the end
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0),
                                             follow_redirects=True, verify=trust())
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()
