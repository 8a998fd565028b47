"""The layer rules (docs/ARCHITECTURE.md, "Layers"), checked by import-linter, by the import
graph and by importing for real; and ARCHITECTURE's map of tui/ and its diagram of the
session's rooms, held to the tree and to the contracts."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tui"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, f"lint-imports exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    assert "0 broken" in r.stdout, r.stdout


# --- the import graph of tui/, read with ast ---------------------------------------------------

def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package_dir: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports, anywhere in the file: at the top, under
    `if TYPE_CHECKING:` and inside functions (a lazy import still ties the two together)."""
    files = {_module_name(p, package_dir): p for p in sorted(package_dir.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                # `from pkg import mod` imports the module pkg.mod; `from mod import name`, mod
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in files else module
                           for a in node.names]
            for target in targets:
                while target and target not in files:   # `import a.b.c` of a package a.b
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """For each strongly connected component of more than one module (found by Tarjan's
    algorithm, iteratively), the shortest cycle from its first module back to it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return [_cycle_in(graph, component) for component in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """The shortest way from the component's first module back to itself (breadth first)."""
    start = min(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in sorted(graph[node] & component):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle in the component {sorted(component)}")


def _members(graph: dict[str, set[str]], module: str) -> list[str]:
    """The modules on some cycle through `module`: reachable from it and reaching it."""
    def reach(start: str, edges: dict[str, set[str]]) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen
    reverse: dict[str, set[str]] = {m: set() for m in graph}
    for m, targets in graph.items():
        for t in targets:
            reverse[t].add(m)
    return sorted(reach(module, graph) & reach(module, reverse))


def test_the_cycle_finder_finds_a_cycle_and_its_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_relative_type_checking_and_lazy_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import os\nimport pkg.sub.c\nfrom .sub import d\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    from pkg.a import thing\n")
    (pkg / "sub" / "c.py").write_text("def f():\n    from ..b import x\n")
    (pkg / "sub" / "d.py").write_text("from . import c\nfrom pkg import sub\n")
    assert import_graph(pkg) == {
        "pkg": set(), "pkg.sub": set(),
        "pkg.a": {"pkg.sub.c", "pkg.sub.d"},        # absolute; relative `from .sub import d`
        "pkg.b": {"pkg.a"},                         # under TYPE_CHECKING
        "pkg.sub.c": {"pkg.b"},                     # inside a function, two levels up
        "pkg.sub.d": {"pkg.sub.c", "pkg.sub"},      # `from . import c`; a package
    }
    assert find_cycles(import_graph(pkg)) == [["pkg.a", "pkg.sub.c", "pkg.b", "pkg.a"]]


def test_no_import_cycles_between_modules() -> None:
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (each a strongly connected set, one cycle of it shown):\n" + (
        "\n".join(f"  {' -> '.join(c)}   (members: {', '.join(_members(graph, c[0]))})"
                  for c in cycles))


# --- docs/ARCHITECTURE.md draws what is there -------------------------------------------------

def _block_under(heading: str) -> list[str]:
    """The lines of the first fenced block under `heading` in docs/ARCHITECTURE.md."""
    section = ARCHITECTURE.read_text("utf-8").split(f"\n{heading}\n", 1)[1]
    return section.split("```\n", 2)[1].splitlines()


def test_the_map_names_every_package_and_nothing_else() -> None:
    named = {line.split()[0] for line in _block_under("## A map of tui/")
             if line.startswith("tui/")}
    packages = {f"{p.parent.relative_to(ROOT).as_posix()}/" for p in PACKAGE.rglob("__init__.py")}
    assert sorted(named - packages) == [], "named in the map, not in the tree"
    assert sorted(packages - named) == [], "in the tree, not in the map"


def test_the_rooms_diagram_is_the_rooms_contract() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    [rooms] = [c for c in contracts["contracts"] if c.get("containers") == ["tui.session"]]
    drawn = [line.split("  ")[0] for line in _block_under("## The session's rooms")]
    assert drawn == rooms["layers"]


# --- importing for real ------------------------------------------------------------------------

def _loaded(imports: str, watched: tuple[str, ...]) -> str:
    code = (f"import sys, {imports}; print(','.join(m for m in {watched!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_core_loads_no_ui_player_http_or_yt_dlp() -> None:
    """Every module of tui.core, as found on disk, so a new one is covered the day it lands."""
    core = ", ".join(sorted(_module_name(p) for p in (PACKAGE / "core").glob("*.py")))
    assert _loaded(core, ("textual", "mpv", "httpx", "aiohttp", "yt_dlp")) == ""


def test_session_loads_no_ui_player_or_yt_dlp() -> None:
    """Every module of tui.session, as found on disk (a room's face alone imports nothing)."""
    session = ", ".join(sorted(_module_name(p) for p in (PACKAGE / "session").rglob("*.py")))
    assert _loaded(session, ("textual", "mpv", "yt_dlp")) == ""


def test_cli_parsing_imports_nothing_heavy() -> None:
    code = ("import sys, tui.cli; tui.cli.parser().parse_args(['--demo']);"
            "print(','.join(m for m in ('textual', 'mpv', 'yt_dlp', 'aiohttp') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_no_unused_imports_or_undefined_names() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    r = subprocess.run([str(ruff), "check", "tui", "tests"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
