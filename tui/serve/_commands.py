"""The commands `ytplay serve`, `ytplay url` and `ytplay export`: their parsers, the config
read as `ytplay cache` reads it, and the two that only compute URLs. Exit status: 0 done,
2 the config, an address, a reference or a file cannot be used."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path

from tui.config.paths import data_dir, locate_config, playlists_dir, queue_file
from tui.config.schema import Config
from tui.core.m3u import Entry, M3UError, format_m3u
from tui.core.models import QueueItem
from tui.core.redact import redact
from tui.core.refs import RefKind, why_not_a_ref
from tui.core.sanitize import printable

from ._urls import ServedRefs, base_url, normalized, secret, url

UNUSABLE = 2

_COMPUTED = ("The URL is computed, not asked of a running ytplay serve: it works whether or "
             "not one runs, and stays the same across its restarts (the secret in it is made "
             "once and kept, 0600, in ytplay's data folder).")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="PATH", default=None, help="the config file")
    p.add_argument("--listen", metavar="HOST:PORT", default=None,
                   help="where ytplay serve listens (default: [serve] listen, "
                        "127.0.0.1:8766)")


def parser(name: str) -> argparse.ArgumentParser:
    if name == "serve":
        p = argparse.ArgumentParser(
            prog="ytplay serve",
            description="Serve stable URLs to any player (MPD, VLC, mpv, Kodi): each item "
                        "is opened when a player asks for it, kept fresh while it plays and "
                        "for a while after, and relayed through ytplay's proxy, which "
                        "renews expiring tokens and URLs and re-issues a request from the "
                        "byte it reached. No terminal, no libmpv; logs to serve.log in the "
                        "log folder; ends on SIGTERM or SIGINT. `ytplay url` prints URLs.")
        _common(p)
        p.add_argument("--expose", action="store_true",
                       help="allow a HOST beyond loopback: whoever reaches it and holds a "
                            "URL plays what your accounts can ([serve] expose)")
        return p
    if name == "url":
        p = argparse.ArgumentParser(
            prog="ytplay url",
            description="Print the ytplay serve URL of each reference, one a line: a page "
                        "yt-dlp reads, service:id, an OAuth2 service's media URL, a local "
                        f"file. {_COMPUTED} A player that sends Icy-MetaData: 1 gets the "
                        "title in the stream (ICY); MPD and VLC cannot seek in such a "
                        "stream: --seekable prints URLs that never carry it.")
        p.add_argument("refs", nargs="+", metavar="REF")
        _common(p)
        p.add_argument("--seekable", action="store_true",
                       help="no ICY metadata: MPD and VLC can seek, and show the URL or "
                            "what a playlist calls it")
        return p
    p = argparse.ArgumentParser(
        prog="ytplay export",
        description="Write an M3U playlist of ytplay serve URLs, with titles and durations "
                    "(#EXTINF), e.g. into MPD's playlist folder: the references given, the "
                    "queue, or a saved playlist. A page yt-dlp reads as a playlist stands "
                    f"for its items. {_COMPUTED} Its URLs carry no ICY metadata (players "
                    "seek in them; the playlist names the items). A new file is 0600: the "
                    "URLs carry the secret.")
    p.add_argument("refs", nargs="*", metavar="REF")
    p.add_argument("--m3u", metavar="FILE", required=True, help="the playlist to write")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--queue", action="store_true", help="the queue ytplay saved")
    source.add_argument("--playlist", metavar="NAME", help="a playlist saved in ytplay (w)")
    _common(p)
    return p


def run(name: str, argv: list[str]) -> int:
    args = parser(name).parse_args(argv)
    config = _config(args.config)
    if config is None:
        return UNUSABLE
    if name == "serve":
        from ._run import run as serve

        return serve(args, config)
    return _url(args, config) if name == "url" else _export(args, config)


def _config(option: str | None) -> Config | None:
    from tui.config.store import ConfigFileError
    from tui.config_cli import explain, hint
    from tui.core.errors import YtplayError
    from tui.runtime_config import load_config

    where = locate_config(option)
    try:
        return load_config(where.path, make_folder=not where.named_by)
    except ConfigFileError as e:
        print(explain(e, where), file=sys.stderr)
    except YtplayError as e:
        print(f"ytplay: the config file has errors:\n{e}\nFix them with: "
              f"{hint('edit', where)}", file=sys.stderr)
    return None


def _base(name: str, args: argparse.Namespace, config: Config) -> str | None:
    try:
        return base_url(args.listen or config.serve.listen, config.serve.names)
    except ValueError as e:
        print(f"ytplay {name}: {e}", file=sys.stderr)
        return None


def _refs(words: list[str], config: Config) -> list[str] | None:
    for word in words:
        if (why := why_not_a_ref(word, exists=os.path.exists)) is not None:
            print(f"ytplay: {why}", file=sys.stderr)
            return None
    return [normalized(w, (s.name for s in config.services)) for w in words]


def _url(args: argparse.Namespace, config: Config) -> int:
    base, refs = _base("url", args, config), _refs(args.refs, config)
    if base is None or refs is None:
        return UNUSABLE
    key = secret(data_dir())
    ServedRefs(data_dir()).add(key, refs)
    for ref in refs:
        print(url(base, key, ref, seekable=args.seekable))
    return 0


def _export(args: argparse.Namespace, config: Config) -> int:
    base = _base("export", args, config)
    if base is None:
        return UNUSABLE
    if args.queue or args.playlist:
        if args.refs:
            print("ytplay export: references, --queue and --playlist: one of them",
                  file=sys.stderr)
            return UNUSABLE
        items = _saved(args.playlist)
    else:
        if not args.refs:
            print("ytplay export: nothing to export: give references, --queue or "
                  "--playlist NAME", file=sys.stderr)
            return UNUSABLE
        refs = _refs(args.refs, config)
        if refs is None:
            return UNUSABLE
        items = asyncio.run(_described(config, refs))
    if items is None:
        return UNUSABLE
    key = secret(data_dir())
    services = [s.name for s in config.services]
    refs = [normalized(item.ref, services) for item in items]
    ServedRefs(data_dir()).add(key, refs)
    served = [QueueItem(ref=url(base, key, ref, seekable=True), title=item.title,
                        artist=item.artist, duration=item.duration)
              for ref, item in zip(refs, items)]
    from tui.config.atomic import SECRET, atomic_write

    try:
        atomic_write(Path(args.m3u), format_m3u(served), new_mode=SECRET)
    except (M3UError, OSError) as e:
        print(f"ytplay export: {args.m3u}: {e}", file=sys.stderr)
        return UNUSABLE
    print(f"{len(served)} item{'s' if len(served) != 1 else ''} written to {args.m3u}",
          file=sys.stderr)
    return 0


def _saved(playlist: str | None) -> list[QueueItem] | None:
    """The queue as ytplay saved it, or a saved playlist's entries."""
    from tui.session.store import PlaylistError, Playlists, QueueStore

    if playlist is None:
        return list(QueueStore(queue_file()).load()[0].items)
    try:
        return [entry.item() for entry in Playlists(playlists_dir()).load(playlist)]
    except (PlaylistError, OSError) as e:
        print(f"ytplay export: {e}", file=sys.stderr)
        return None


async def _described(config: Config, refs: list[str]) -> list[QueueItem]:
    """Each reference with its title, artist and duration where they can be found: what
    the media cache kept of it, the service's library, yt-dlp's flat look (a playlist page
    stands for its items), a local file's tags. What cannot be found is left blank."""
    from ._compose import session_for

    items: list[QueueItem] = []
    library: dict[str, Entry] | None = None
    async with AsyncExitStack() as resources:
        session, _ = await session_for(config, resources)
        for ref in refs:
            meta = session.cache.lookup(ref).meta if session.cache is not None else None
            kind = session.kind(ref)
            found: list[Entry] = []
            try:
                if meta is not None and meta.title:
                    found = [Entry(ref, meta.title, meta.artist, meta.duration)]
                elif kind is RefKind.SERVICE:
                    if library is None:
                        library = {}  # asked once, whatever it answers
                        library = {e.ref: e for e in await session.search_libraries("")}
                    found = [library[ref]] if ref in library else []
                elif kind is RefKind.FILE:
                    info = await session.resolver.resolve(ref)
                    found = [Entry(ref, info.title, info.artist, info.duration)]
                elif not session.behind_oauth2(ref):
                    found = await session.resolver.expand(ref)
            except Exception as e:  # a title is a nicety: the URL is written all the same
                print(f"ytplay export: no title for {printable(redact(ref))}: "
                      f"{printable(redact(str(e)))}", file=sys.stderr)
            items += [e.item() for e in found] or [QueueItem(ref=ref)]
    return items
