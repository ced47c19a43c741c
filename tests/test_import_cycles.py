"""No import cycles in ``video_plugin``, ``gpu_runner`` or ``shop``, counting every import a module makes.

Imports are read from the source with :mod:`ast`, wherever they sit: at module level, inside a function (where
they would hide a cycle until the function first runs) or under ``if TYPE_CHECKING:``. An edge goes to the
module an import names (``from .pkg import mod`` names ``pkg.mod`` when that is a module, else ``pkg``); the
parent packages that Python also initialises are left out, since a package's ``__init__`` re-exporting its
own modules is not a cycle of design.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("video_plugin", "gpu_runner", "shop")


def module_files() -> dict[str, Path]:
    """Every module of :data:`PACKAGES` by dotted name (a package by its ``__init__.py``)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(module: str, path: Path, modules: Collection[str]) -> set[str]:
    """The ``modules`` that ``path`` (the module ``module``) imports, anywhere in it."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                parts = package.split(".")
                source = ".".join([*parts[: len(parts) - node.level + 1], *([source] if source else [])])
            # ``from pkg import mod`` imports the module pkg.mod; ``from pkg import name`` imports pkg.
            found.update(
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                for alias in node.names
            )
    return (found & set(modules)) - {module}


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of :data:`PACKAGES` it imports."""
    files = module_files()
    return {module: imported_modules(module, path, files) for module, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan), as ``[a, b, …, a]``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [path_through(graph, group) for group in groups]


def path_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest cycle from the group's first module back to itself, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {sorted(group)}")  # a strongly connected group always has one


def test_video_plugin_gpu_runner_and_shop_have_no_import_cycle() -> None:
    found = [" -> ".join(cycle) for cycle in cycles(import_graph())]
    assert not found, "import cycle(s): " + "; ".join(found)


def test_imports_inside_functions_and_type_checking_blocks_count(tmp_path: Path) -> None:
    # The check itself: a cycle hidden behind a function-local import is still a cycle.
    sources = {
        "shop.a": "from shop.b import thing\n",
        "shop.b": "def later():\n    from . import a\n",
        "shop.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import Thing\n",
    }
    files = {}
    for name, source in sources.items():
        files[name] = tmp_path / f"{name.rpartition('.')[2]}.py"
        files[name].write_text(source)
    graph = {name: imported_modules(name, path, files) for name, path in files.items()}
    assert graph == {"shop.a": {"shop.b"}, "shop.b": {"shop.a"}, "shop.c": {"shop.a"}}
    assert cycles(graph) == [["shop.a", "shop.b", "shop.a"]]
