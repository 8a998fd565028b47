"""`ytplay config path | show | check | edit | reset`."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


from tui.config import store
from tui.config.defaults import default_text
from tui.config.fields import plain
from tui.config.paths import ConfigLocation, default_config_file, locate_config
from tui.config.store import ConfigFileError, Trouble
from tui.config.validate import validate_text
from tui.core.redact import redact_tree
from tui.runtime_config import mpv_check

def _editor() -> list[str] | None:
    for var in ("VISUAL", "EDITOR"):
        if os.environ.get(var):
            return shlex.split(os.environ[var])
    for name in ("sensible-editor", "nano", "vi"):
        if shutil.which(name):
            return [name]
    return None


def _ask(question: str, default: bool) -> bool:
    try:
        answer = input(question).strip().lower()
    except EOFError:
        return False
    return default if not answer else answer.startswith("y")


def hint(action: str, where: ConfigLocation) -> str:
    """A command that does `action` to this config file, as the user can type it: with
    --config when that is how the file was named ($YTPLAY_CONFIG is still set for them),
    quoted for a POSIX shell. tests/test_cli_errors.py parses it with the real parser."""
    named = ["--config", str(where.path)] if where.named_by == "--config" else []
    return shlex.join(["ytplay", "config", action, *named])


def explain(error: ConfigFileError, where: ConfigLocation) -> str:
    """One paragraph: what is wrong with the file, and what to do about it."""
    return f"ytplay: {error}. {remedy(error, where)}"


def remedy(error: ConfigFileError, where: ConfigLocation) -> str:
    """What to do about a config file that cannot be used (`explain`, `ytplay doctor`)."""
    path = where.path
    if where.named_by == "--config":
        elsewhere = "or name another file with --config"
    elif where.named_by == "YTPLAY_CONFIG":
        elsewhere = (f"or point YTPLAY_CONFIG (which names this file) at another one, or "
                     f"unset it to use {default_config_file()}")
    else:
        elsewhere = "or name another file with --config PATH or $YTPLAY_CONFIG"
    return {
        Trouble.NO_FOLDER: f"Create the folder (mkdir -p {shlex.quote(str(path.parent))}) "
                           f"and ytplay writes the defaults there, {elsewhere}.",
        Trouble.IS_FOLDER: f"Name a file instead, such as {path / 'config.toml'} (a new "
                           f"file is filled with the defaults), {elsewhere}.",
        Trouble.UNREADABLE: f"Check that it is a file your user can read and write "
                            f"(chmod u+rw {shlex.quote(str(path))} fixes its permissions), "
                            f"{elsewhere}.",
        Trouble.UNWRITABLE: f"Make the folder {path.parent} writable for your user, "
                            f"{elsewhere}.",
        Trouble.NOT_UTF8: f"Save it as UTF-8 in an editor, or start again from the defaults "
                          f"with `{hint('reset', where)}` (the current file is kept as "
                          f"{store.backup_path(path).name}).",
    }[error.trouble]


def _check(where: ConfigLocation) -> int:
    path = where.path
    _, issues = validate_text(store.read_or_create(path, make_folder=not where.named_by),
                              mpv_check())
    if issues:
        print(f"{path} has {len(issues)} error(s):", file=sys.stderr)
        for issue in issues:
            print(f"  {issue.render(path)}", file=sys.stderr)
        print(f"Fix them with: {hint('edit', where)}", file=sys.stderr)
        return 1
    print(f"{path}: ok")
    return 0


def _show(where: ConfigLocation) -> int:
    """The config in force, secrets redacted. A file that is not there is not written (a
    look changes nothing): the defaults are shown, and said to be that."""
    path = where.path
    text = store.read(path)
    if text is None:
        # As ytplay would refuse it: a named path whose folder is not there is likelier a
        # typo than a file to come.
        store.writable_place(path, make_folder=not where.named_by)
        heading = f"# {path} does not exist; these are the defaults (secrets redacted)"
        text = default_text()
    else:
        heading = f"# effective config from {path} (secrets redacted)"
    config, _ = validate_text(text, mpv_check())
    if config is None:
        return _check(where)
    import tomlkit  # here: the app's start reads this module, and needs no TOML writer

    print(heading)
    print(tomlkit.dumps(redact_tree(plain(config))),
          end="")
    return 0


def _edit(where: ConfigLocation) -> int:
    """Edit a copy beside the file; the file is replaced only by a copy that validates.
    The copy's errors cite the copy, at its own lines: that is the file the editor opens
    again, and what is kept when the person stops there (config.toml holds none of it)."""
    path = where.path
    editor = _editor()
    if editor is None:
        print("ytplay: no editor found; set $EDITOR (or $VISUAL)", file=sys.stderr)
        return 2
    original = store.read_or_create(path, make_folder=not where.named_by)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.stem}.edit-",
                                    suffix=path.suffix or ".toml")
    tmp = Path(tmp_name)
    keep = False  # an edit with errors that the person stopped at: what they typed stays
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(original)
        while True:
            if subprocess.call([*editor, str(tmp)]) != 0:
                print(f"ytplay: the editor failed; {path} is unchanged", file=sys.stderr)
                return 1
            raw = tmp.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                print(f"your edit, {tmp}, is not UTF-8 text (byte 0x{raw[e.start]:02x} at "
                      f"offset {e.start}); {path} is unchanged", file=sys.stderr)
            else:
                if text == original:
                    print(f"no changes; {path} is unchanged")
                    return 0
                config, issues = validate_text(text, mpv_check())
                if config is not None:
                    store.replace(path, text)
                    print(f"saved {path} (the previous version is {store.backup_path(path)})")
                    return 0
                print(f"your edit has {len(issues)} error(s); {path} is unchanged:",
                      file=sys.stderr)
                for issue in issues:
                    print(f"  {issue.render(tmp)}", file=sys.stderr)
            if not _ask("Re-open the editor to fix them? [Y/n] ", True):
                keep = True
                print(f"not saved: {path} is unchanged; your edit is kept in {tmp}",
                      file=sys.stderr)
                return 1
    finally:
        if not keep:
            tmp.unlink(missing_ok=True)


def _reset(where: ConfigLocation, yes: bool) -> int:
    path = where.path
    try:
        current = store.read(path)
    except ConfigFileError:
        current = None  # not UTF-8, say: the defaults are what is asked for
    if current == default_text():
        bak = store.backup_path(path)
        kept = f"; {bak} is kept as it was" if bak.exists() else ""
        print(f"{path} holds the defaults already{kept}")
        return 0
    if path.is_file() and not yes and not _ask(
            f"Replace {path} with the defaults? The current file is kept as "
            f"{store.backup_path(path).name}. [y/N] ", False):
        print(f"{path} is unchanged")
        return 1
    store.reset(path, make_folder=not where.named_by)
    print(f"wrote the defaults to {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    where = locate_config(args.config)
    if args.action == "path":
        print(where.path)
        return 0
    store.clean_up(where.path)
    try:
        if args.action == "check":
            return _check(where)
        if args.action == "show":
            return _show(where)
        if args.action == "edit":
            return _edit(where)
        return _reset(where, args.yes)
    except ConfigFileError as e:
        print(explain(e, where), file=sys.stderr)
        return 2
    except OSError as e:  # e.g. the .bak cannot be written; the file itself is unchanged
        print(f"ytplay: {e.filename or where.path}: {e.strerror}; {where.path} is unchanged",
              file=sys.stderr)
        return 2
