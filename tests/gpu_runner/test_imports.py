"""``gpu_runner`` must run on a GPU host without Django, and the ``still`` path without torch."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODULES = [
    "gpu_runner",
    "gpu_runner.cli",
    "gpu_runner.settings",
    "gpu_runner.images",
    "gpu_runner.captions",
    "gpu_runner.compose.assets",
    "gpu_runner.compose.bench",
    "gpu_runner.compose.finish",
    "gpu_runner.compose.head",
    "gpu_runner.compose.planes",
    "gpu_runner.compose.rendition",
    "gpu_runner.compose.sound",
    "gpu_runner.scene",
    "gpu_runner.encode",
    "gpu_runner.storage",
    "gpu_runner.events",
    "gpu_runner.jobs",
    "gpu_runner.worker",
    "gpu_runner.health",
    "gpu_runner.protocol",
    "gpu_runner.renderers",
    "gpu_runner.renderers.still",
    "gpu_runner.tts",
    "gpu_runner.tts.edge",
    "gpu_runner.tts.espeak",
    "gpu_runner.tts.chain",
]


def imported_after(code: str) -> set[str]:
    script = f"import importlib, json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(completed.stdout.splitlines()[-1]))


def test_no_module_imports_django_or_torch() -> None:
    modules = imported_after(f"for name in {MODULES!r}: importlib.import_module(name)")
    assert not {name for name in modules if name == "django" or name.startswith("django.")}
    assert "torch" not in modules


def test_building_the_still_runner_imports_no_torch() -> None:
    code = (
        "from gpu_runner.settings import RunnerSettings\n"
        "from gpu_runner.renderers import create_renderer\n"
        "create_renderer('still', RunnerSettings()).load()"
    )
    modules = imported_after(code)
    assert "torch" not in modules and "django" not in modules


def test_the_hallo2_renderer_needs_no_video_library_until_it_encodes() -> None:
    # A GPU host checks and benchmarks the renderer without PyAV; only gpu_runner.encode needs it.
    modules = imported_after(
        "import gpu_runner.renderers.hallo2.renderer, gpu_runner.renderers.hallo2.bench, gpu_runner.cli"
    )
    assert "gpu_runner.renderers.hallo2.weights" in modules
    assert "av" not in modules


def imports_in(path: Path) -> set[str]:
    """Every module a source file imports, at module level or inside a function (a lazy import counts)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_runner_module_reaches_django_the_plugin_the_shop_or_the_benchmarks_even_lazily() -> None:
    # The runner's wheel ships without any of them: an import of one, however deep in a function, would fail
    # on a GPU host.
    outside = ("django", "wagtail", "video_plugin", "shop", "bench", "tests")
    offenders = {
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / "gpu_runner").rglob("*.py")
        for name in imports_in(path)
        if name.split(".")[0] in outside
    }
    assert not offenders
