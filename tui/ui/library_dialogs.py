"""The dialogs that bring items into the queue from elsewhere, or keep them for later: saved
playlists (save, open), search, history, downloads. The app's keys open them once the
session is there; each works on the playback the app drives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Literal

from tui.core.errors import YtplayError

if TYPE_CHECKING:
    from textual.app import App

    from tui.session.downloads import Downloads
    from tui.session.playback import Playback

Toast = Callable[[str, Literal["information", "warning", "error"]], None]


class LibraryDialogs:
    def __init__(self, app: App[None], playback: Playback, downloads: Downloads | None,
                 toast: Toast) -> None:
        """`toast`: a notification whose text may come from outside (never markup)."""
        self.app = app
        self.playback = playback
        self.downloads = downloads
        self._toast = toast

    # --- playlists, search, history -----------------------------------------------------------

    def save_playlist(self) -> None:
        from .screens.prompt import PromptScreen

        self.app.push_screen(PromptScreen("Save the queue as a playlist",
                                          "a name (road-trip) or a file (~/music/list.m3u8)",
                                          self._save_playlist))

    async def _save_playlist(self, target: str) -> str | None:
        try:
            path = await self.playback.edits.save_playlist(target)
        except (YtplayError, OSError) as e:
            return str(e)
        self._toast(f"saved to {path}", "information")
        return None

    def open_playlist(self) -> None:
        from .screens.prompt import PromptScreen

        edits = self.playback.edits
        names = edits.playlists.names() if edits.playlists else []

        async def opened(target: str) -> str | None:
            try:
                edits.open_playlist(target)
            except YtplayError as e:
                return str(e)
            return None
        note = f"saved: {', '.join(names)}" if names else "no saved playlists yet"
        self.app.push_screen(PromptScreen("Open a playlist (appended to the queue)",
                                          "a saved playlist's name, or an .m3u/.m3u8 file",
                                          opened, note))

    def search(self, query: str = "") -> None:
        from .screens.search import SearchScreen

        session, edits = self.playback.session, self.playback.edits
        sources = {"libraries": session.search_libraries, "YouTube": session.search_web}
        self.app.push_screen(SearchScreen(sources, lambda e: edits.add_items([e.item()]),
                                          query))

    def history(self) -> None:
        from .screens.history import HistoryScreen

        playback = self.playback
        if playback.history is None:
            self.app.notify("no history in demo mode")
            return

        def chosen(entry: object) -> None:
            from tui.session.store import Played
            if isinstance(entry, Played):
                [index] = playback.edits.insert_next([entry.ref])
                playback.queue[index].title = entry.title
                playback.queue[index].artist = entry.artist
                playback.play(index)
        self.app.push_screen(HistoryScreen(playback.history.recent()), chosen)

    # --- downloads: kept in the media cache (pinned) for listening offline -----------------

    def keep(self, indexes: Iterable[int]) -> None:
        from tui.session.cache import ItemMeta

        if self._no_downloads():
            return
        assert self.downloads is not None
        queue = self.playback.queue
        items = [(it.ref, it.title, ItemMeta(title=it.title, artist=it.artist, album=it.album,
                                             duration=it.duration, cover=it.cover))
                 for it in (queue[i] for i in indexes)]
        kept = self.downloads.keep_all(items)
        self.app.notify(f"downloading {kept} item{'s' if kept != 1 else ''} (v shows them)"
                        if kept else "nothing new to download (local files need none)")

    def show_downloads(self) -> None:
        from .screens.downloads import DownloadsScreen

        if not self._no_downloads() and not isinstance(self.app.screen, DownloadsScreen):
            assert self.downloads is not None
            self.app.push_screen(DownloadsScreen(self.downloads))

    def _no_downloads(self) -> bool:
        if self.downloads is None:
            self.app.notify("downloads need the media cache ([cache] enabled = true)",
                            severity="warning")
        return self.downloads is None
