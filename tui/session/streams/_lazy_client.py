"""The session's one HTTP client, made on first use (docs/ARCHITECTURE.md, "Layers": what
the first frame does not show waits for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # httpx is loaded with the first request, after the first frame (~50 ms)
    import httpx


class LazyClient:
    """The session's `httpx.AsyncClient`, made on first use. Making one builds a TLS context
    from the CA bundle (~50 ms), which the first frame does not need: with --demo the first
    request is made once the UI is up. Everything but `aclose` is the client's own."""

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
                                             follow_redirects=True)
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()
