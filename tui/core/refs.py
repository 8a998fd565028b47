"""What kind of thing a queue reference names."""

from __future__ import annotations

import enum
import re
import os.path
from dataclasses import dataclass
from typing import Callable


class RefKind(enum.Enum):
    URL = "url"
    FILE = "file"
    SERVICE = "service"


@dataclass(frozen=True)
class Ref:
    kind: RefKind
    text: str
    service: str | None = None
    media_id: str | None = None


_SERVICE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):([^/\s][^\s]*)$")


def parse_ref(text: str, services: frozenset[str] = frozenset(),
              exists: Callable[[str], bool] = lambda _path: False) -> Ref:
    """Classify a reference: `home:t1` names media of a configured service, a path that
    starts like one (or that `exists` says is there) is a local file, anything else goes
    to yt-dlp. The core does no I/O: the caller passes `exists` where bare names count."""
    text = text.strip()
    m = _SERVICE_RE.match(text)
    if m and m.group(1) in services:
        return Ref(RefKind.SERVICE, text, service=m.group(1), media_id=m.group(2))
    if "://" not in text and (text.startswith(("/", "./", "../", "~")) or exists(text)):
        return Ref(RefKind.FILE, os.path.expanduser(text))
    return Ref(RefKind.URL, text)
