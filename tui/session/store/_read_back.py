"""Files ytplay wrote earlier (the queue, refresh tokens, the history) read back as what
they are: input that a crash, a full disk, another version or another program may have
broken. Each is read through a schema. A record that does not fit is skipped; a file that
cannot be read at all is set aside as `<name>.unreadable-<time>` — never overwritten by
the next save, never lost — and the loader says what it did in a notice, which the
composition root hands to the UI.

Why msgspec: the queue is read before the first frame (tui/first_frame.py), and msgspec
loads in ~3 ms (pydantic and its models, which the config used before, took ~50 ms, a third
of Textual's own start); the config's schema is msgspec's too. Each record's shape is declared once as
types (and read as documentation), and checked by compiled code: a 10,000-item queue in
one call, record by record only when some do not fit."""

from __future__ import annotations

import glob
import json
import logging
import time
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec

from tui.config.atomic import copy_atomic

log = logging.getLogger(__name__)

# Seconds on disk: a number, never negative, NaN or infinite (json.loads reads `NaN`;
# NaN fails every bound, infinity the upper one).
Seconds = Annotated[float, msgspec.Meta(ge=0, le=1e15)]
Ref = Annotated[str, msgspec.Meta(min_length=1)]


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """Fields it does not know are ignored: a newer version may add some."""


class QueueRecord(Record, kw_only=True):
    """One item of queue.json."""

    ref: Ref
    title: str | None = None
    artist: str | None = None
    duration: Seconds | None = None
    resume_at: Seconds = 0.0
    played: bool = False
    album: str | None = None
    cover: str | None = None


class PlayedRecord(Record, kw_only=True):
    """One line of history.jsonl."""

    ref: Ref
    title: str | None = None
    artist: str | None = None
    duration: Seconds | None = None
    at: Seconds


class TokenRecord(Record, kw_only=True):
    """One service's entry in a token file."""

    refresh_token: Annotated[str, msgspec.Meta(min_length=1)]


R = TypeVar("R", bound=Record)


def valid_records(model: type[R], raw: list[Any]) -> tuple[list[tuple[int, R]], int]:
    """The records of `raw` that fit `model`, each with its index in `raw`, and how many
    did not."""
    try:
        return list(enumerate(msgspec.convert(raw, list[model]))), 0  # type: ignore[valid-type]
    except msgspec.ValidationError:
        pass  # it names the first bad record only: the rest are sorted one by one
    good: list[tuple[int, R]] = []
    for i, item in enumerate(raw):
        try:
            good.append((i, msgspec.convert(item, model)))
        except msgspec.ValidationError:
            continue
    return good, len(raw) - len(good)


def valid_record(model: type[R], raw: Any) -> R | None:
    """`raw` as a `model`, or None when it does not fit."""
    try:
        return msgspec.convert(raw, model)
    except msgspec.ValidationError:
        return None


def read_json(path: Path) -> Any:
    """The parsed file; FileNotFoundError when there is none, ValueError when it is not
    JSON (bad UTF-8, bad syntax, nesting too deep to parse), OSError when unreadable."""
    data = path.read_bytes()
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None


# Copies set aside per file: enough to go back a few breakages, not a folder that fills up
# when something rewrites a bad file at every start.
KEEP_ASIDE = 5


def set_aside(path: Path, *, copy: bool = False) -> Path | None:
    """Move `path` to `<name>.unreadable-<time>` beside it (or copy it there, when the file
    stays in use because part of it was readable), keeping the newest KEEP_ASIDE of them.
    None when that failed too."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    # Numbered past every copy of the same second, so the newest always sorts last.
    n = max((k for s, k in map(_aside_key, _asides(path)) if s == stamp), default=0) + 1
    aside = path.with_name(f"{path.name}.unreadable-{stamp}" + (f"-{n}" if n > 1 else ""))
    try:
        if copy:
            copy_atomic(path, aside)  # with the file's mode: a token file stays 0600
        else:
            path.rename(aside)
    except OSError as e:
        log.warning("could not set %s aside: %s", path, e)
        return None
    _prune_aside(path)
    return aside


def _asides(path: Path) -> list[Path]:
    return list(path.parent.glob(f"{glob.escape(path.name)}.unreadable-*"))


def _aside_key(aside: Path) -> tuple[str, int]:
    """(time stamp, number within its second) of a copy set aside: oldest sorts first."""
    date, _, rest = aside.name.rpartition(".unreadable-")[2].partition("-")
    clock, _, n = rest.partition("-")
    return f"{date}-{clock}", int(n) if n.isdigit() else 1


def _prune_aside(path: Path) -> None:
    for old in sorted(_asides(path), key=_aside_key)[:-KEEP_ASIDE]:
        try:
            old.unlink()
        except OSError as e:
            log.info("could not remove %s: %s", old, e)


def unreadable(path: Path, what: str, why: str) -> str:
    """Set a whole file aside; the notice that says so."""
    aside = set_aside(path)
    kept = f"it was kept as {aside.name}" if aside else "it could not be moved aside"
    notice = f"{what} ({path}) could not be read ({why}); {kept}"
    log.warning("%s", notice)
    return notice


def partly_unreadable(path: Path, what: str, skipped: int, total: int) -> str:
    """Keep a copy of a file some records of which were skipped; the notice that says so."""
    aside = set_aside(path, copy=True)
    kept = f"the original is kept as {aside.name}" if aside else "no copy could be kept"
    notice = (f"{what} ({path}): {skipped} of {total} entries could not be read and were "
              f"left out; {kept}")
    log.warning("%s", notice)
    return notice


def why(error: Exception) -> str:
    """A short reason for a notice."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg} at line {error.lineno}"
    return str(error)
