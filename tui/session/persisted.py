"""Files ytplay wrote earlier (the queue, refresh tokens, the history) read back as what
they are: input that a crash, a full disk, another version or another program may have
broken. Each is read through a schema. A record that does not fit is skipped; a file that
cannot be read at all is set aside as `<name>.unreadable-<time>` — never overwritten by
the next save, never lost — and the loader says what it did in a notice, which the
composition root hands to the UI.

Why pydantic: it is already the config's schema library, so each record's shape is
declared once as types (and read as documentation), and a 10,000-item queue is validated
in one call of compiled code; its errors name the index of each bad record, so the good
ones are kept without checking items one by one in Python."""

from __future__ import annotations

import functools
import glob
import json
import logging
import time
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tui.config.atomic import copy_atomic

log = logging.getLogger(__name__)

# Seconds on disk: a number, never negative, NaN or infinite (json.loads reads `NaN`).
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Ref = Annotated[str, Field(min_length=1)]


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class QueueRecord(Record):
    """One item of queue.json."""

    ref: Ref
    title: str | None = None
    artist: str | None = None
    duration: Seconds | None = None
    resume_at: Seconds = 0.0
    played: bool = False
    album: str | None = None
    cover: str | None = None


class PlayedRecord(Record):
    """One line of history.jsonl."""

    ref: Ref
    title: str | None = None
    artist: str | None = None
    duration: Seconds | None = None
    at: Seconds


class TokenRecord(Record):
    """One service's entry in a token file."""

    refresh_token: Annotated[str, Field(min_length=1)]


R = TypeVar("R", bound=Record)


@functools.cache
def _list_of(model: type[R]) -> TypeAdapter[list[R]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def valid_records(model: type[R], raw: list[Any]) -> tuple[list[tuple[int, R]], int]:
    """The records of `raw` that fit `model`, each with its index in `raw`, and how many
    did not."""
    adapter = _list_of(model)
    try:
        return list(enumerate(adapter.validate_python(raw))), 0
    except ValidationError as e:
        bad = {err["loc"][0] for err in e.errors() if err["loc"]}
    good = [i for i in range(len(raw)) if i not in bad]
    # Records are validated independently, so the rest pass now.
    return list(zip(good, adapter.validate_python([raw[i] for i in good]))), len(raw) - len(good)


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
