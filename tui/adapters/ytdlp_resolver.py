"""The Resolver port on yt-dlp, run in a worker process that ytplay lets go when idle
(tui/adapters/ytdlp_worker.py): yt-dlp is never imported here, and what it holds in memory
(~30 MiB with its extractors, issue 19) is given back once nothing has been resolved for a
while. Local files are read here, without yt-dlp."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

from tui.core.extraction import Extraction, ExtractionError
from tui.core.m3u import Entry
from tui.core.models import StreamInfo
from tui.core.ports import TagReader

from .worker_process import WorkerLost, WorkerProcess
from .ytdlp_errors import from_wire

log = logging.getLogger(__name__)


def fallback_label(options: Mapping[str, Any]) -> str:
    """A fallback in words, for the retry log: "player_client=web", "format=18"."""
    parts = []
    for key, value in options.items():
        if key == "extractor_args" and isinstance(value, Mapping):
            for args in value.values():
                if isinstance(args, Mapping):
                    parts += [f"{k}={','.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
                              for k, v in args.items()]
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "the defaults"


# How long yt-dlp's process lives on after its last answer. Long enough that what follows
# a resolve (a burst of `n`, the items resolved ahead as one starts) finds it still there
# (starting it costs 0.3-1 s: Python, yt-dlp's imports, the extractors a page needs);
# short enough that once an item plays, the memory is given back within the first half
# minute. URLs resolved ahead are renewed minutes or hours apart: each renewal starts it
# again.
IDLE_EXIT = 15.0


class YtDlpResolver:
    def __init__(self, *, video: bool = False, workers: int = 2,
                 options: Mapping[str, Any] | None = None, tags: TagReader | None = None,
                 fallbacks: Sequence[Mapping[str, Any]] = (), idle: float = IDLE_EXIT) -> None:
        """`workers`: resolves at once (resolve-ahead asks for several while one plays).
        `tags`: reads a local file's title, artist, album, length and cover when it plays;
        without it a file is known by its name. `fallbacks`: yt-dlp options tried in turn
        when a fresh URL is refused at its first request (`[ytdlp] fallbacks`). `idle`:
        seconds yt-dlp's process lives on with nothing to do (IDLE_EXIT)."""
        self._fallbacks = [dict(f) for f in fallbacks]
        self._tags = tags
        # One process, `workers` threads in it: yt-dlp waits on the network, not on the
        # CPU, and a second process would hold a second copy of its ~30 MiB.
        self._worker = WorkerProcess("tui.adapters.ytdlp_worker", [str(workers)],
                                     name="yt-dlp's process", log=log, idle=idle)
        self._base: dict[str, Any] = {
            "quiet": True, "no_warnings": True, "noprogress": True,
            "format": "best" if video else "bestaudio/best", "noplaylist": True,
            "socket_timeout": 15, "skip_download": True,
            # Its words go to the log file, never to a terminal: no colour codes in them.
            "color": "no_color",
        }
        self._params = {**self._base, **(options or {})}

    def configure(self, options: Mapping[str, Any],
                  fallbacks: Sequence[Mapping[str, Any]] = ()) -> None:
        """New yt-dlp options for the resolves that start from now on (each request carries
        its options to yt-dlp's process, the one running too)."""
        self._params = {**self._base, **options}
        self._fallbacks = [dict(f) for f in fallbacks]

    @property
    def fallbacks(self) -> list[str]:
        return [fallback_label(f) for f in self._fallbacks]

    async def resolve(self, ref: str) -> StreamInfo:
        return await self._resolve(ref, self._params)

    async def resolve_with(self, ref: str, fallback: int) -> StreamInfo:
        return await self._resolve(ref, {**self._params, **self._fallbacks[fallback - 1]})

    async def _resolve(self, ref: str, params: Mapping[str, Any]) -> StreamInfo:
        if "://" not in ref:
            path = Path(ref).expanduser()
            local = await asyncio.to_thread(self._file, path)  # its tags: blocking reads
            if local is not None:
                return local
        return StreamInfo(**await self._ask("resolve", ref, params))

    def _file(self, path: Path) -> StreamInfo | None:
        """A local file: libmpv plays the path; its tags say what it is. None when `path`
        is no file (a reference for yt-dlp: "ytsearch:…", an id)."""
        if not path.is_file():
            return None
        tags = self._tags.read(str(path)) if self._tags is not None else None
        if tags is None:
            return StreamInfo(url=str(path), title=path.name)
        return StreamInfo(url=str(path), title=tags.title or path.name, artist=tags.artist,
                          duration=tags.duration, album=tags.album,
                          cover=str(path) if tags.cover else None)

    async def expand(self, ref: str) -> list[Entry]:
        return [Entry(**e) for e in await self._ask("expand", ref, self._params)]

    async def _ask(self, op: str, ref: str, params: Mapping[str, Any]) -> Any:
        """yt-dlp's process's answer; a cancelled caller's is dropped when it comes."""
        future = self._worker.submit({"op": op, "ref": ref, "params": params})
        try:
            answer = await asyncio.wrap_future(future)
        except WorkerLost as e:
            # It crashed or was killed under this request: nothing the item did, and the
            # next request starts another process, so the session retries it.
            raise ExtractionError(str(e), Extraction.NETWORK) from None
        if "error" in answer:
            raise from_wire(answer["error"])
        return answer["ok"]

    def close(self) -> None:
        self._worker.close()
