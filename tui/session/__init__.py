"""The session layer: what ytplay does between its front ends and the player, on the asyncio
loop: playback, the streams and their leases, the services, the proxy, what is kept on disk.
Never imports textual or mpv; the player and resolver arrive through core's ports.

It is made of rooms, one sub-package per job (docs/ARCHITECTURE.md, "The session's rooms",
has one line for each and which may import which). A room's `__init__` is its face: a
paragraph on what it owns, and the names the rest of ytplay may use. Its modules are
private (`_x.py`, as in Textual's widgets): what another room needs of it comes through its
face, which import-linter checks (pyproject.toml). This module holds only `face`, which
every room's face is built with."""

from __future__ import annotations

import importlib
import sys
from typing import Callable, Mapping


def face(room: str, homes: Mapping[str, tuple[str, ...]]
         ) -> tuple[list[str], Callable[[str], object]]:
    """`__all__` and the module-level `__getattr__` (PEP 562) of the room `room`, whose names
    are held by its private modules as `homes` says (module -> names). A name is imported
    from its module when it is first asked for and then kept in the room's namespace, as
    Textual's widgets package does: importing a face costs nothing, and taking one name
    loads only the module that holds it (the first frame takes `QueueStore` from `store`
    without the playlists' readers beside it). The face also imports its names under
    TYPE_CHECKING, for type checkers and import-linter; tests/session/test_faces.py checks
    that the two lists agree."""
    where = {name: module for module, names in homes.items() for name in names}
    namespace = sys.modules[room].__dict__

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {room!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{room}.{module}"), name)
        namespace[name] = value  # asked once: the next lookup finds it without us
        return value

    return sorted(where), __getattr__
