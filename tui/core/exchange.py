"""One HTTP request and its answer, as the relay sees them (docs/ARCHITECTURE.md, "The
loopback stream proxy"): the proxy's own server and `ytplay serve`'s each hand theirs to
the relay and to the media cache's tee, which read the request and write the answer without
knowing whose server took it in."""

from __future__ import annotations

from typing import Mapping, MutableMapping, Protocol


class Answer(Protocol):
    """A response on its way to the player: its head may change until the front end starts
    it (`Exchange.start`); then its body is written a part at a time."""

    status: int

    @property
    def headers(self) -> MutableMapping[str, str]: ...
    @property
    def content_length(self) -> int | None: ...
    @content_length.setter
    def content_length(self, value: int | None) -> None: ...
    async def write(self, data: bytes) -> None:
        """Raises ConnectionResetError once the player has hung up."""
    async def write_eof(self) -> None: ...


class Exchange(Protocol):
    """One request a front end took in (the proxy's own HTTP server, or `ytplay serve`'s),
    and how to answer it: the relay (`StreamProxy.answer`) reads the one and writes through
    the other, and imports no server of its own."""

    method: str
    path: str

    @property
    def headers(self) -> Mapping[str, str]:
        """The request's headers, names in any case."""
    def plain(self, status: int, text: str = "", *, body: bytes | None = None,
              content_type: str | None = None,
              headers: Mapping[str, str] | None = None) -> Answer:
        """An answer sent whole when the handler returns it."""
    def stream(self, status: int) -> Answer:
        """An answer whose body the relay writes (a front end may shape it: ICY)."""
    async def start(self, answer: Answer) -> None:
        """Send `answer`'s status and headers."""
    def hang_up(self) -> None:
        """Cut the connection: after the head was sent, the only way to tell of a failure."""
