"""The ports the session drives: the player, the resolver and the tag reader. Adapters
implement them; tests hand in doubles."""

from __future__ import annotations

from typing import Callable, Mapping, Protocol

from .m3u import Entry
from .models import StreamInfo, Tags
from .player_events import PlayerEvent


class Player(Protocol):
    def set_listener(self, listener: Callable[[PlayerEvent], None]) -> None:
        """`listener` is called from the player's own thread; it must be thread-safe."""

    def load(self, url: str, *, start: float = 0.0, headers: Mapping[str, str] | None = None,
             paused: bool = False) -> int:
        """Replace what plays with `url`; returns the generation its events will carry."""

    def append_next(self, url: str) -> int:
        """Hand over the next item ahead of time; returns the generation it will carry."""

    def drop_next(self) -> None:
        """Withdraw what `append_next` handed over."""

    def play_next(self) -> None:
        """Play what `append_next` handed over, at once; a no-op when the player moved on
        to it by itself already."""

    def stop(self) -> None: ...
    def set_paused(self, paused: bool) -> None: ...
    def seek(self, entry: int, position: float) -> None:
        """Seek to `position` (seconds) in `entry`. A seek that reaches the player after it
        moved on to another entry by itself must leave that entry where it is."""

    def set_volume(self, volume: float) -> None: ...

    @property
    def volume(self) -> float: ...

    @property
    def position(self) -> float | None: ...

    def close(self) -> None:
        """Blocking; call it off the UI loop."""


class Resolver(Protocol):
    async def resolve(self, ref: str) -> StreamInfo:
        """Raises ResolveError with a reason a user can read."""

    async def expand(self, ref: str) -> list[Entry]:
        """What `ref` stands for without resolving streams: its entries when it is a
        playlist or channel (flat), else one entry with its title and duration."""


class FallbackResolver(Resolver, Protocol):
    """A resolver with other ways to try when a freshly resolved URL is refused (403) at
    its first request: yt-dlp's `[ytdlp] fallbacks` (another player client, another
    format). The session tries them in order, once each."""

    @property
    def fallbacks(self) -> list[str]:
        """Each fallback in words ("player_client=web"), in the order they are tried."""

    async def resolve_with(self, ref: str, fallback: int) -> StreamInfo:
        """`ref` resolved with fallback number `fallback` (1 is the first)."""


class TagReader(Protocol):
    """Local files' tags, read without decoding. Both calls block: run them off the loop."""

    def read(self, path: str) -> Tags | None:
        """The file's tags and length; None when it is no media file the reader knows, or
        cannot be read."""

    def picture(self, path: str) -> bytes | None:
        """The file's embedded picture (the front cover when it has several), if any."""
