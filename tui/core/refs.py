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
# A host and a path typed without the scheme (youtube.com/watch?v=…), which yt-dlp takes.
_HOST_PATH_RE = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?(/\S*)?$")


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


def why_not_a_ref(text: str, exists: Callable[[str], bool] = lambda _path: False) -> str | None:
    """None when `text` can name something to play, else why not. A URL (with its scheme,
    or a host and path), `name:thing` (a service's item, or a yt-dlp search such as
    `ytsearch:words`), a path, or the name of a file that `exists`. A bare word is none of
    them: queued, it would fail when its turn came."""
    text = text.strip()
    if ("://" in text or _HOST_PATH_RE.match(text) or _SERVICE_RE.match(text)
            or text.startswith(("/", "./", "../", "~")) or exists(text)):
        return None
    return (f"{text!r} is not a URL, a file, a playlist or service:id")
