"""Fixtures of the packaging tests: the three wheels built from this checkout, and fresh venvs holding them.

Each venv holds only the named wheels and what they declare, installed by pip from the package index, as a
site that adopts the plugin (or a GPU host that runs the runner) would install them.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECTS = {
    "wagtail-ai-video": REPO,
    "wagtail-ai-video-protocol": REPO / "packaging" / "protocol",
    "wagtail-ai-video-runner": REPO / "packaging" / "runner",
}
# The pinned CPU build lies on the package index's local mirror; anything else resolving torch would fetch a
# multi-GB CUDA build.
TORCH = "torch==2.13.0"


@dataclass(frozen=True)
class Wheels:
    plugin: Path
    protocol: Path
    runner: Path

    def names(self, wheel: Path) -> list[str]:
        """The paths of the files a wheel installs, its metadata folder left out."""
        with zipfile.ZipFile(wheel) as archive:
            return [name for name in archive.namelist() if ".dist-info/" not in name]

    def metadata(self, wheel: Path) -> str:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(
                next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            ).decode()


@dataclass(frozen=True)
class Venv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name

    def run(self, *args: str | Path, cwd: Path | None = None, timeout: float = 600) -> str:
        """Run the venv's Python; fail with its output when it fails."""
        completed = subprocess.run(
            [str(self.python), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout
        )
        assert completed.returncode == 0, (
            f"{args} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
        )
        return completed.stdout

    def pip_install(self, *requirements: str | Path) -> None:
        self.run(
            "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements, timeout=1200
        )

    def installed(self) -> set[str]:
        """The canonical names of the distributions installed in the venv."""
        listing = self.run("-m", "pip", "list", "--format=freeze", "--disable-pip-version-check")
        return {
            line.split("==")[0].lower().replace("_", "-") for line in listing.splitlines() if "==" in line
        }


def make_venv(path: Path) -> Venv:
    # From the base interpreter, so the new venv sees none of the test run's packages.
    subprocess.run([sys._base_executable, "-m", "venv", str(path)], check=True, timeout=300)
    return Venv(path)


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """The three wheels, built from this checkout as ``make dist`` builds them."""
    out = tmp_path_factory.mktemp("dist")
    for project in PROJECTS.values():
        completed = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(out), str(project)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]

    def one(prefix: str) -> Path:
        (found,) = out.glob(f"{prefix}-*.whl")
        return found

    return Wheels(
        plugin=one("wagtail_ai_video"),
        protocol=one("wagtail_ai_video_protocol"),
        runner=one("wagtail_ai_video_runner"),
    )


@pytest.fixture(scope="session")
def plugin_venv(wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A web host on S3 or R2: the plugin's wheel with its ``s3`` extra and the contract's, with only what
    they declare (the S3 storage module needs the extra; the face check's OpenCV stays out, as on most
    hosts)."""
    venv = make_venv(tmp_path_factory.mktemp("web") / "venv")
    venv.pip_install(f"{wheels.plugin}[s3]", wheels.protocol)
    return venv


@pytest.fixture(scope="session")
def runner_venv(wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A GPU host: the runner's wheel with its speech and Hallo2 extras, and the contract's."""
    venv = make_venv(tmp_path_factory.mktemp("runner") / "venv")
    venv.pip_install(TORCH)
    venv.pip_install(f"{wheels.runner}[tts,hallo2]", wheels.protocol)
    return venv
