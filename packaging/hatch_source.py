"""Build hook of the two distributions cut from ``gpu_runner/``: the runner, and the contract alone.

Both are built from a folder under ``packaging/``, and the package lives two folders up, at the repository's
root; hatchling's own file selection cannot reach outside a project, so this hook adds the files. ``files``
keeps only the named ones, ``exclude`` drops the named ones (paths relative to ``gpu_runner/``; a name ending
in ``/`` stands for the folder and everything under it). Only wheels are built this way
(``python -m build --wheel``): an sdist cannot carry a package from outside its folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "gpu_runner"
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _named(relative: str, names: tuple[str, ...]) -> bool:
    """Whether ``relative`` is one of ``names``, or lies in one of the folders (``name/``) among them."""
    return any(relative == name or (name.endswith("/") and relative.startswith(name)) for name in names)


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        # An editable install adds the repository root to sys.path (dev-mode-dirs) and copies nothing.
        if version == "editable":
            return
        if self.target_name != "wheel":
            raise ValueError("only wheels are built from packaging/: use python -m build --wheel")
        source = self._source()
        only = tuple(self.config.get("files", ()))
        excluded = tuple(self.config.get("exclude", ()))
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).as_posix()
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in SKIPPED_SUFFIXES:
                continue
            if (only and not _named(relative, only)) or _named(relative, excluded):
                continue
            build_data["force_include"][str(path)] = f"{PACKAGE}/{relative}"

    def _source(self) -> Path:
        source = Path(self.root).parent.parent / PACKAGE
        if not (source / "protocol.py").is_file():
            raise FileNotFoundError(
                f"no {PACKAGE}/ two folders above {self.root}: build wheels from the repository "
                "(python -m build --wheel packaging/...), not from an sdist"
            )
        return source
