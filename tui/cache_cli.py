"""`ytplay cache ls | size | clear | verify`: the media cache from the command line (no UI,
no libmpv). References are shown redacted and cleaned (a signed URL's signature never
reaches the terminal); titles are text from outside and cleaned too.

Exit status (EXIT_STATUSES, also in `ytplay cache --help` and README): 0 done; 1 `verify`
found broken entries (dropped, so they are fetched again); 2 the config or the cache folder
cannot be used; 3 `clear` or `verify` refused, nothing removed, because a ytplay plays from
this cache."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from tui.config.paths import ConfigLocation, locate_config, media_cache_dir
from tui.config.schema import Config
from tui.config.store import ConfigFileError
from tui.core.errors import YtplayError
from tui.core.redact import redact
from tui.core.sanitize import printable
from tui.core.sizefmt import human_size
from tui.session import cache as media_cache
from tui.session.cache import CacheState, EntryInfo, MediaCache

BROKEN = 1     # `verify` found broken entries (and dropped them)
UNUSABLE = 2   # the config or the cache folder cannot be used
RUNNING = 3    # `clear` or `verify` refused: a ytplay plays from this cache

EXIT_STATUSES = f"""\
exit status:
  0  done
  {BROKEN}  verify found broken entries (dropped: they are fetched again when played)
  {UNUSABLE}  the config file or the cache folder cannot be used
  {RUNNING}  clear or verify refused, nothing removed: a ytplay is playing from this cache
     (quit it, then run the same command again)"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ytplay cache",
                                description="Work with the media cache (what played, and "
                                            "downloads kept for listening offline).",
                                epilog=EXIT_STATUSES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="PATH", default=None, help="the config file")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    helps = {"ls": "list the entries: state, size, pinned, title",
             "size": "print the bytes held and the cap",
             "clear": "remove every entry that is not a download (pinned)",
             "verify": f"check every complete entry (length, checksum); drop and list broken "
                       f"ones, exit {BROKEN}"}
    actions = {name: sub.add_parser(name, help=text, description=text, epilog=EXIT_STATUSES,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
               for name, text in helps.items()}
    actions["clear"].add_argument("--all", action="store_true",
                                  help="remove downloads (pinned entries) too")
    for action in actions.values():
        action.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                            help="the config file")
    return p


def label(entry: EntryInfo) -> str:
    """What an entry is, safe for the terminal: its title (and artist), else its reference."""
    ref = printable(redact(entry.ref))
    if entry.meta.title:
        name = printable(entry.meta.title)
        if entry.meta.artist:
            name += f" — {printable(entry.meta.artist)}"
        return f"{name}  ({ref})"
    return ref


def _state(entry: EntryInfo) -> str:
    if entry.state is CacheState.COMPLETE:
        return "complete"
    if entry.state is CacheState.ABSENT:  # only a download keeps an entry with no bytes
        return "pending" if entry.pinned else "empty"
    return f"partial {entry.share * 100:3.0f}%" if entry.length else "partial    "


def _size(entry: EntryInfo) -> str:
    if entry.state is CacheState.COMPLETE:
        return human_size(entry.cached)
    if entry.state is CacheState.ABSENT:
        return "nothing yet" if entry.pinned else "0 B"
    return f"{human_size(entry.cached)} of {human_size(entry.length)}"


def _open(config: Config) -> tuple[MediaCache, list[str]]:
    """The cache, read; and the entries whose metadata said complete but whose file is
    shorter (reading the folder keeps what is there of them, as partial entries)."""
    section, root = config.cache, _root(config)
    truncated = [EntryInfo(r.ref, CacheState.COMPLETE, meta=r.meta)
                 for _key, r, size in media_cache.scan(root)[0]
                 if r.complete and r.length is not None and size < r.length]
    cache = MediaCache(root, section.max_bytes, shared=False)
    for notice in cache.load():
        print(f"removed {notice}", file=sys.stderr)
    for entry in truncated:
        # Read back as partial; saving its metadata (describe saves) keeps it so on disk.
        cache.describe(entry.ref, entry.meta)
    return cache, [label(e) for e in truncated]


def run(args: argparse.Namespace) -> int:
    from tui.runtime_config import load_config

    where = locate_config(args.config)
    try:
        config = load_config(where.path, make_folder=not where.named_by)
    except ConfigFileError as e:
        from tui.config_cli import explain

        print(explain(e, where), file=sys.stderr)
        return UNUSABLE
    except YtplayError as e:
        return _bad_config(e, where)
    held = None
    try:
        if args.action in ("clear", "verify"):  # they remove entries: not under a player
            held = media_cache.hold(_root(config), alone=True)
        cache, truncated = _open(config)
    except BlockingIOError:
        print(f"ytplay: ytplay is running and playing from this cache ({_root(config)}); "
              f"quit it, then run `{again(args, where)}` again.", file=sys.stderr)
        return RUNNING
    except OSError as e:
        if held is not None:
            os.close(held)
        return _unreadable(e, config, where)
    try:
        if args.action == "verify":
            return _verify(cache, truncated)
        return {"ls": _ls, "size": _total, "clear": _clear}[args.action](cache, args)
    finally:
        cache.close()
        if held is not None:
            os.close(held)


def again(args: argparse.Namespace, where: ConfigLocation) -> str:
    """The command the person ran, as they can type it again: the action, its options and
    --config when that is how the file was named. tests/test_cache_cli.py parses it with
    the real parser."""
    words = ["ytplay", "cache", args.action]
    if getattr(args, "all", False):
        words.append("--all")
    if where.named_by == "--config":
        words += ["--config", str(where.path)]
    return shlex.join(words)


def _root(config: Config) -> Path:
    return Path(config.cache.dir).expanduser() if config.cache.dir else media_cache_dir()


def _unreadable(error: OSError, config: Config, where: ConfigLocation) -> int:
    """One line for a cache folder that cannot be listed (a file, no permission)."""
    from tui.config_cli import hint

    root = _root(config)
    why = "a file, not a folder" if isinstance(error, NotADirectoryError) else \
        error.strerror or str(error)
    fix = f"set [cache] dir with: {hint('edit', where)}" if config.cache.dir else \
        f"move it aside, or set [cache] dir with: {hint('edit', where)}"
    print(f"ytplay cache: the media cache folder {root} cannot be read ({why}); {fix}",
          file=sys.stderr)
    return UNUSABLE


def _bad_config(error: YtplayError, where: ConfigLocation) -> int:
    from tui.config_cli import hint

    print(f"ytplay: the config file has errors:\n{error}\nFix them with: "
          f"{hint('edit', where)}", file=sys.stderr)
    return UNUSABLE


def _ls(cache: MediaCache, _args: argparse.Namespace) -> int:
    entries = sorted(cache.entries(), key=lambda e: -e.last_used)
    if not entries:
        print(f"the media cache is empty ({cache.root})")
        return 0
    for e in entries:
        print(f"{_state(e):<12} {_size(e):>22}  {'pinned' if e.pinned else '      '}  "
              f"{label(e)}")
    return 0


def _total(cache: MediaCache, _args: argparse.Namespace) -> int:
    entries = cache.entries()
    pinned = sum(e.cached for e in entries if e.pinned)
    print(f"{human_size(cache.size())} of {human_size(cache.max_size)} in {len(entries)} entries "
          f"({human_size(pinned)} pinned) — {cache.root}")
    return 0


def _clear(cache: MediaCache, args: argparse.Namespace) -> int:
    kept = [e for e in cache.entries() if e.pinned] if not args.all else []
    removed = cache.clear_now(keep_pinned=not args.all)
    note = f"; kept {len(kept)} pinned (--all removes them too)" if kept else ""
    print(f"removed {len(removed)} entries{note}")
    return 0


def _verify(cache: MediaCache, truncated: list[str]) -> int:
    broken = [f"{name} (truncated; what is left is kept as a partial entry)"
              for name in truncated]
    checked = len(truncated)
    for e in cache.entries():
        ok = cache.verify_now(e.ref)
        if ok is None:
            continue  # not complete: nothing to check yet
        checked += 1
        if not ok:
            broken.append(label(e))
    for name in broken:
        print(f"broken, dropped (it is fetched again when played): {name}")
    print(f"checked {checked} complete entries: {len(broken)} broken")
    return BROKEN if broken else 0
