"""The stable URLs of `ytplay serve` (docs/SERVE.md): `http://HOST:PORT/<secret>/<id>`.

The secret is made once and kept (`serve-secret` in the data folder, 0600), so a URL saved
in a player's playlist today plays tomorrow and after any restart. The id names the item by
an HMAC of its reference under that secret: it tells nothing of the reference (which may
itself be a URL with a signature in it) and cannot be made up without the secret. Which
reference an id stands for is kept in `served.json` (0600: it lists what is listened to),
written by `ytplay url` and `ytplay export` and read by `ytplay serve` when it meets an id
it does not know yet. Nothing here needs ytplay serve to run: a URL is computed."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from tui.config.atomic import SECRET, atomic_write
from tui.core.refs import RefKind, parse_ref

log = logging.getLogger(__name__)

SECRET_FILE = "serve-secret"
ITEMS_FILE = "served.json"
# A URL's query that asks for no ICY metadata, for players that cannot seek in a stream
# that carries it (MPD, VLC): `ytplay url --seekable`, and every URL `ytplay export` writes.
SEEKABLE = "icy=0"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def secret(folder: Path) -> str:
    """The secret every URL carries, made on first use. Two processes making it at once
    agree: each writes a file of its own and links it into place, and only one link
    succeeds (the other reads the winner's)."""
    path = folder / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{SECRET_FILE}.", suffix=".tmp")
    try:
        os.fchmod(fd, SECRET)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(24) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another made it meanwhile: theirs is the one
    finally:
        os.unlink(tmp)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32 or not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError(f"{path} does not hold a secret ytplay made; remove it to make "
                         "another (every URL printed before stops working)")
    return text


def item_id(key: str, ref: str) -> str:
    """The id of `ref` in URLs: 128 bits of an HMAC under the secret, URL-safe."""
    digest = hmac.new(key.encode(), b"item\0" + ref.encode("utf-8", "surrogateescape"),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def normalized(ref: str, services: Iterable[str]) -> str:
    """`ref` as ytplay serve will open it: a local file by its absolute path (it runs in
    another folder), anything else as written."""
    parsed = parse_ref(ref, frozenset(services), exists=os.path.exists)
    if parsed.kind is RefKind.FILE:
        return os.path.abspath(parsed.text)
    return parsed.text


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets) as (host, port); ValueError when it is not."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8766)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


def base_url(listen: str, names: list[str]) -> str:
    """`http://HOST:PORT` as players reach it: the first of `names`, else the address it
    listens on. ValueError when it listens on every address and no name says which."""
    host, port = parse_listen(listen)
    if names:
        host = names[0]
    elif is_wildcard(host):
        raise ValueError(f"ytplay serve listens on every address ({listen}): set [serve] "
                         "names to the host name players reach this machine by")
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def url(base: str, key: str, ref: str, *, seekable: bool = False) -> str:
    return f"{base}/{key}/{item_id(key, ref)}" + (f"?{SEEKABLE}" if seekable else "")


class ServedRefs:
    """Which reference each id stands for, kept in `served.json`. Written by the commands
    that print URLs (under a lock: two at once keep both's), read by ytplay serve."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ITEMS_FILE
        self._known: dict[str, str] = {}
        self._read_at: tuple[int, int] | None = None   # (size, mtime_ns) last read

    def add(self, key: str, refs: Iterable[str]) -> None:
        """Remember `refs` (each by its id under `key`)."""
        with self._locked():
            known = self._read()
            new = {item_id(key, ref): ref for ref in refs}
            if new.items() <= known.items():
                return
            known.update(new)
            atomic_write(self.path, json.dumps({"version": 1, "items": known}, indent=1),
                         new_mode=SECRET)

    def lookup(self, id_: str) -> str | None:
        """The reference of `id_`; the file is read again when it changed since."""
        if id_ not in self._known:
            try:
                st = self.path.stat()
            except OSError:
                return None
            if (st.st_size, st.st_mtime_ns) != self._read_at:
                self._read_at = (st.st_size, st.st_mtime_ns)
                self._known = self._read()
        return self._known.get(id_)

    def _read(self) -> dict[str, str]:
        """What the file says, as untrusted input: entries that are not id → reference are
        left out; a file that cannot be read at all is set aside, never written over."""
        try:
            raw = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            aside = self.path.with_name(f"{ITEMS_FILE}.unreadable-{int(time.time())}")
            log.warning("%s cannot be read (%s); set aside as %s", self.path, e, aside.name)
            try:
                self.path.rename(aside)
            except OSError:
                pass
            return {}
        items = raw.get("items") if isinstance(raw, dict) else None
        if not isinstance(items, dict):
            return {}
        return {k: v for k, v in items.items() if isinstance(k, str) and isinstance(v, str)}

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(f".{ITEMS_FILE}.lock"), os.O_RDWR | os.O_CREAT,
                     SECRET)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
