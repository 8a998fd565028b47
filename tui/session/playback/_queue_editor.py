"""Editing the queue: adding (files and playlists expanded, URLs looked up flat and local
files' tags read in the background), play-next, remove, clear and undo, moves, shuffle,
repeat, and named playlists. It owns no playback state: it tells its owner when the queue
changed, when the current item was taken away and when an undo brought it back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Callable, Iterable

from tui.core.errors import ResolveError
from tui.core.events import Level
from tui.core.models import ItemStatus, QueueItem, Tags
from tui.core.ports import TagReader
from tui.core.queue import Queue
from tui.core.redact import redact
from tui.core.refs import RefKind
from tui.session.store import (PlaylistError, Playlists, is_playlist_file, read_m3u, read_playlist,
                               write_m3u)
from tui.session.streams import SessionManager

from ._tasks import Tasks

log = logging.getLogger(__name__)
TAG_BATCH = 25  # files whose tags are read in one go, then shown together


def _fill_in(item: QueueItem, tags: Tags) -> None:
    """What the file says, where the item does not say it already (a playlist's title
    stays). A file with no title tag is called by its name, not its whole path."""
    item.title = item.title or tags.title or Path(item.ref).name
    item.artist = item.artist or tags.artist
    item.album = item.album or tags.album
    item.duration = item.duration if item.duration is not None else tags.duration
    if tags.cover and item.cover is None:
        item.cover = str(Path(item.ref).expanduser())


def _at_rest(items: list[QueueItem]) -> None:
    """Removed items stop where they are: one that was playing counts as played, one that
    was being opened as queued, so an undo never brings back a second busy item."""
    for item in items:
        if item.status is ItemStatus.PLAYING:
            item.status = ItemStatus.READY
        elif item.status is ItemStatus.RESOLVING:
            item.status = ItemStatus.QUEUED


def _shown_items(n: int) -> str:
    return f"{n} shown item (u puts it back)" if n == 1 else f"{n} shown items (u puts them back)"


class QueueEditor:
    def __init__(self, queue: Queue, session: SessionManager, tasks: Tasks, *,
                 changed: Callable[[], None], playing: Callable[[], bool],
                 lost_current: Callable[[QueueItem], None],
                 regained_current: Callable[[QueueItem, bool], None],
                 log_line: Callable[[Level, str], None],
                 playlists: Playlists | None = None, tags: TagReader | None = None) -> None:
        """`playing`: whether the current item plays now (or is on its way to, not to
        start paused); `lost_current`: the current item was removed; `regained_current`:
        an undo made it current again, and whether it was playing then."""
        self.queue = queue
        self.session = session
        self.tasks = tasks
        self.playlists = playlists
        self.tags = tags
        self._changed = changed            # after every edit
        self._playing = playing
        self._lost_current = lost_current
        self._regained_current = regained_current
        self._log = log_line

    def _items(self, refs: Iterable[str]) -> list[QueueItem]:
        """Queue items for references; an .m3u/.m3u8 file stands for its entries."""
        items: list[QueueItem] = []
        for ref in refs:
            if is_playlist_file(ref):
                try:
                    items += [e.item() for e in read_m3u(Path(ref).expanduser())]
                except PlaylistError as e:
                    self._log(Level.ERROR, str(e))
            else:
                items.append(QueueItem(ref=ref))
        return items

    def add(self, refs: Iterable[str]) -> list[int]:
        return self.add_items(self._items(refs))

    def add_items(self, items: Iterable[QueueItem]) -> list[int]:
        items = list(items)
        indexes = self.queue.extend(items)
        self._changed()
        self._expand_new(items)
        return indexes

    def insert_next(self, refs: Iterable[str]) -> list[int]:
        items = self._items(refs)
        indexes = self.queue.insert_next(items)
        self._changed()
        self._expand_new(items)
        return indexes

    def _expand_new(self, items: list[QueueItem]) -> None:
        """Ask yt-dlp, flat and in the background, what new URLs stand for; read new local
        files' tags."""
        files = []
        for item in items:
            kind = self.session.kind(item.ref)
            if item.title is None and kind is RefKind.URL \
                    and not self.session.behind_oauth2(item.ref):
                self.tasks.spawn(self._expand(item))
            elif kind is RefKind.FILE and self.tags is not None:
                files.append(item)
        if files:
            self.tasks.spawn(self._read_tags(files))

    async def _read_tags(self, items: list[QueueItem]) -> None:
        """Tags and lengths of local files, read on a worker thread a batch at a time; the
        queue is told once per batch, so a thousand files make forty redraws."""
        reader = self.tags
        assert reader is not None
        for start in range(0, len(items), TAG_BATCH):
            present = {id(it) for it in self.queue}
            batch = [it for it in items[start:start + TAG_BATCH] if id(it) in present]
            if not batch:
                continue  # removed meanwhile
            refs = [it.ref for it in batch]
            found = await asyncio.to_thread(lambda: [reader.read(ref) for ref in refs])
            for item, tags in zip(batch, found):
                if tags is not None:
                    _fill_in(item, tags)
            self._changed()

    async def _expand(self, item: QueueItem) -> None:
        try:
            entries = await self.session.resolver.expand(item.ref)
        except ResolveError as e:
            log.info("could not look %s up ahead: %s", redact(item.ref), e)
            return  # playing it will tell, with the reason
        if not any(it is item for it in self.queue):
            return  # removed meanwhile
        if len(entries) == 1 and entries[0].ref == item.ref:
            e = entries[0]
            item.title, item.artist, item.duration = e.title, e.artist, e.duration
        else:
            self.queue.replace(item, [e.item() for e in entries])
            self._log(Level.INFO, f"{redact(item.ref)}: {len(entries)} entries added")
        self._changed()

    def remove(self, index: int) -> None:
        """Remove an item; removing the one playing stops it. `undo_remove` puts it back."""
        removed = self._take([index])
        if removed:
            self._log(Level.INFO, f"removed {removed[0].label} (u puts it back)")
            self._changed()

    def clear(self, shown: list[int] | None = None) -> None:
        """Clear the queue, or only the items `shown` (those a filter leaves in view), as
        one step `undo_remove` puts back."""
        removed = self._take(range(len(self.queue)) if shown is None else shown)
        if removed:
            self._log(Level.INFO, "cleared the queue (u puts it back)" if shown is None
                      else f"cleared {_shown_items(len(removed))}")
            self._changed()

    def _take(self, indexes: Iterable[int]) -> list[QueueItem]:
        current = self.queue.current
        removed = self.queue.remove(indexes, playing=current is not None and self._playing())
        _at_rest(removed)
        if current is not None and self.queue.current is None:
            self._lost_current(current)
        return removed

    def undo_remove(self) -> None:
        """Put back the last removal not yet undone; an item that was playing then and is
        current again plays on where it was."""
        undone = self.queue.undo_remove()
        if undone is None:
            self._log(Level.INFO, "nothing to undo")
            return
        n = len(undone.items)
        self._log(Level.INFO, f"put back {undone.items[0].label}" if n == 1
                  else f"put back {n} items")
        if undone.current is not None:
            self._regained_current(undone.current, undone.playing)
        self._changed()

    def move_to(self, index: int, target: int) -> int:
        target = self.queue.move_to(index, target)
        self._changed()
        return target

    def swap(self, index: int, other: int) -> int:
        target = self.queue.swap(index, other)
        self._changed()
        return target

    def toggle_shuffle(self) -> bool:
        if self.queue.shuffled:
            self.queue.unshuffle()
        else:
            self.queue.shuffle()
        self._changed()
        return self.queue.shuffled

    def cycle_repeat(self) -> str:
        mode = self.queue.cycle_repeat()
        self._changed()
        return mode.value

    async def save_playlist(self, target: str) -> str:
        """Save the queue as a named playlist, or export it to an .m3u/.m3u8 path."""
        items = self.queue.items
        loop = asyncio.get_running_loop()
        if target.lower().endswith((".m3u", ".m3u8")):
            path = Path(target).expanduser()
            await loop.run_in_executor(None, write_m3u, path, items)
        elif self.playlists is not None:
            path = await loop.run_in_executor(None, self.playlists.save, target, items)
        else:
            raise PlaylistError("no playlist folder")
        self._log(Level.INFO, f"saved {len(items)} items to {path}")
        return str(path)

    def open_playlist(self, target: str) -> list[int]:
        """Append a named playlist or an .m3u/.m3u8 file to the queue."""
        return self.add_items(read_playlist(target, self.playlists))
