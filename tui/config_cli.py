"""`ytplay config path | show | check | edit | reset`."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import tomlkit

from tui.config import store
from tui.config.atomic import atomic_write
from tui.config.defaults import default_text
from tui.config.paths import config_file
from tui.config.validate import validate_text
from tui.runtime_config import mpv_check

_SECRET_KEY = re.compile(r"(?i)(password|passwd|token|secret|api_?key|cookie)(?!s?_file|_env)")


def _redacted(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _redacted(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_redacted(v, key) for v in value]
    if key and _SECRET_KEY.search(key) and value not in ("", None):
        return "***"
    return value


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


def _check(path: Path) -> int:
    _, issues = validate_text(store.read_or_create(path), mpv_check())
    if issues:
        print(f"{path} has {len(issues)} error(s):", file=sys.stderr)
        for issue in issues:
            print(f"  {issue.render(path)}", file=sys.stderr)
        print("Fix them with: ytplay config edit", file=sys.stderr)
        return 1
    print(f"{path}: ok")
    return 0


def _show(path: Path) -> int:
    config, issues = validate_text(store.read_or_create(path), mpv_check())
    if config is None:
        return _check(path)
    print(f"# effective config from {path} (secrets redacted)")
    print(tomlkit.dumps(_redacted(config.model_dump(mode="json"))), end="")
    return 0


def _edit(path: Path) -> int:
    editor = _editor()
    if editor is None:
        print("ytplay: no editor found; set $EDITOR (or $VISUAL)", file=sys.stderr)
        return 2
    original = store.read_or_create(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".config.edit.", suffix=".toml")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(original)
        while True:
            if subprocess.call([*editor, str(tmp)]) != 0:
                print(f"ytplay: the editor failed; {path} is unchanged", file=sys.stderr)
                return 1
            text = tmp.read_text("utf-8")
            if text == original:
                print(f"no changes; {path} is unchanged")
                return 0
            config, issues = validate_text(text, mpv_check())
            if config is not None:
                store.replace(path, text)
                print(f"saved {path} (the previous version is {store.backup_path(path)})")
                return 0
            print(f"the edited config has {len(issues)} error(s):", file=sys.stderr)
            for issue in issues:
                print(f"  {issue.render(path)}", file=sys.stderr)
            if not _ask("Re-open the editor to fix them? [Y/n] ", True):
                print(f"discarded; {path} is unchanged", file=sys.stderr)
                return 1
    finally:
        tmp.unlink(missing_ok=True)


def _reset(path: Path, yes: bool) -> int:
    if path.exists() and not yes and not _ask(
            f"Replace {path} with the defaults? The current file is kept as "
            f"{store.backup_path(path).name}. [y/N] ", False):
        print(f"{path} is unchanged")
        return 1
    if path.exists():
        atomic_write(store.backup_path(path), path.read_bytes())
    atomic_write(path, default_text())
    print(f"wrote the defaults to {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    path = Path(args.config) if args.config else config_file()
    if args.action == "path":
        print(path)
        return 0
    if args.action == "check":
        return _check(path)
    if args.action == "show":
        return _show(path)
    if args.action == "edit":
        return _edit(path)
    return _reset(path, args.yes)
