"""What ytplay remembers between runs, each a file in its folders: the queue (`QueueStore`,
saved coalesced and off the loop by `QueueSaver`), named playlists and the play history
(`Playlists`, `History`; M3U read and written), and the services' refresh tokens
(`TokenStore`, mode 0600; `RunTokenStore` keeps them for the run only). Every file ytplay
wrote is read back as untrusted input through a schema (`Record` is the base of each
record's): a record that does not fit is skipped, a file that cannot be read is set aside,
never overwritten. Imports no other room."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import face

if TYPE_CHECKING:
    from ._library_files import (History, Played, PlaylistError, Playlists, is_playlist_file,
                                 read_m3u, read_playlist, write_m3u)
    from ._queue_saver import QueueSaver
    from ._queue_store import QueueStore
    from ._read_back import Record, Seconds
    from ._token_store import RunTokenStore, TokenStore

__all__, __getattr__ = face(__name__, {
    "_library_files": ("History", "Played", "PlaylistError", "Playlists", "is_playlist_file",
                       "read_m3u", "read_playlist", "write_m3u"),
    "_queue_saver": ("QueueSaver",),
    "_queue_store": ("QueueStore",),
    "_read_back": ("Record", "Seconds"),
    "_token_store": ("RunTokenStore", "TokenStore"),
})
