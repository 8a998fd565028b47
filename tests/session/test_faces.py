"""The rooms of tui/session and their faces (tui/session/__init__.py): the session holds only
rooms, a room only its face and private modules; a face names under TYPE_CHECKING exactly
what it hands out when asked (ruff does not check those imports: this does), and importing
it loads nothing until a name is asked for."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSION = ROOT / "tui" / "session"
ROOMS = sorted(p.parent.name for p in SESSION.glob("*/__init__.py"))


def _face_imports(room: str) -> dict[str, str]:
    """Name -> the private module it comes from, as the face imports it under TYPE_CHECKING."""
    tree = ast.parse((SESSION / room / "__init__.py").read_text("utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.level == 1, ast.unparse(imp)
                found.update({a.name: imp.module for a in imp.names if imp.module})
    return found


def test_the_session_holds_only_rooms_and_a_room_only_private_modules() -> None:
    assert sorted(p.name for p in SESSION.glob("*.py")) == ["__init__.py"]
    assert len(ROOMS) == len([p for p in SESSION.iterdir() if p.is_dir()
                              and p.name != "__pycache__"])
    for room in ROOMS:
        modules = sorted(p.name for p in (SESSION / room).iterdir() if p.name != "__pycache__")
        assert all(m == "__init__.py" or (m.startswith("_") and m.endswith(".py"))
                   for m in modules), (room, modules)


@pytest.mark.parametrize("room", ROOMS)
def test_a_face_hands_out_what_it_imports_for_type_checkers(room: str) -> None:
    face = importlib.import_module(f"tui.session.{room}")
    assert face.__doc__ and "\n\n" not in face.__doc__.strip(), "one paragraph on what it owns"
    imports = _face_imports(room)
    assert sorted(imports) == face.__all__
    for name, module in imports.items():
        held = getattr(importlib.import_module(f"tui.session.{room}.{module}"), name)
        assert getattr(face, name) is held, name
    with pytest.raises(AttributeError):
        getattr(face, "no_such_name")


def test_a_face_loads_only_the_module_that_holds_the_name_asked_for() -> None:
    """The first frame takes QueueStore from the store without its playlists' readers."""
    code = ("import sys; import tui.session.playback, tui.session.streams; "
            "from tui.session.store import QueueStore; "
            "print(','.join(sorted(m for m in sys.modules if m.startswith('tui.session.'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["tui.session.playback,tui.session.store,"
                                "tui.session.store._queue_store,tui.session.store._read_back,"
                                "tui.session.streams"]
