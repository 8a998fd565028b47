"""What kind of thing a queue reference names."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path


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


def parse_ref(text: str, services: frozenset[str] = frozenset()) -> Ref:
    """Classify a reference: `home:t1` names media of a configured service, a path that
    exists (or starts like one) is a local file, anything else goes to yt-dlp."""
    text = text.strip()
    m = _SERVICE_RE.match(text)
    if m and m.group(1) in services:
        return Ref(RefKind.SERVICE, text, service=m.group(1), media_id=m.group(2))
    if "://" not in text and (text.startswith(("/", "./", "../", "~")) or Path(text).exists()):
        return Ref(RefKind.FILE, str(Path(text).expanduser()))
    return Ref(RefKind.URL, text)
