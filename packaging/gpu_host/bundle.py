"""Make the bundle that a GPU host without internet needs to check and benchmark the Hallo2 renderer from
this checkout: ``python packaging/gpu_host/bundle.py [--python 3.12] [--out .gpu-host]``.

The host has Python, PyTorch with CUDA, NumPy 2, transformers, onnxruntime, OpenCV, scikit-image and pytest
of its own, and receives only what one command carries (64 MiB in all, the checkout included). This writes,
into ``--out`` (ignored by git, carried by name):

- ``site.tar.xz``: the packages the renderer imports that the host lacks, unpacked from their wheels for the
  host's Python (``pip install --target`` with the host's platform tags, no dependencies), with the model
  files of MediaPipe's solutions we never run left out;
- ``spec.tar.xz``: the golden files the GPU tests read (``goldens/golden_step.pt``), found where the tests
  find them;
- ``bundle.json``: what is inside, for the run's report.

torch and numpy are never carried: the host's own CUDA build must stay the one imported. The command fails
when the bundle and the checkout together would not fit in one carry.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / ".gpu-host"
CARRY_LIMIT = 64 * 2**20

# What the renderer and its GPU tests import that the host's image lacks. mediapipe 0.10.21 is the last with
# the face mesh models in its wheel; it declares protobuf<5, but runs on 6.33 (tested), which the host's onnx
# needs (>= 6.31.1); 5.x and 7.x break it. Its other declared needs (jax, sounddevice, opencv-contrib) are
# not imported by the face solutions.
PACKAGES = (
    "diffusers==0.42.1",
    "insightface==2.1",
    "mediapipe==0.10.21",
    "protobuf==6.33.6",
)
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
)
# MediaPipe solutions whose models ship in its wheel but which gpu_runner.faces never runs (it uses face
# detection and the face mesh): 24 MB of the 63 MB installed.
UNUSED_MEDIAPIPE_MODELS = (
    "hand_landmark",
    "holistic_landmark",
    "iris_landmark",
    "palm_detection",
    "pose_detection",
    "pose_landmark",
    "selfie_segmentation",
)
# The spec files the GPU tests read, relative to the spec folder (tests/gpu_runner/hallo2/data_files.py).
SPEC_FILES = ("goldens/golden_step.pt",)
SPEC_DIRS = (
    *([Path(os.environ["HALLO2_SPEC_DIR"])] if os.environ.get("HALLO2_SPEC_DIR") else []),
    REPO.parent / "shared" / "hallo2",
    REPO / "tests" / "data" / "hallo2",
)


def install_site(target: Path, python: str) -> None:
    """The packages, unpacked for CPython ``python`` on manylinux x86-64, into ``target``."""
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--no-compile", "--only-binary=:all:", "--implementation", "cp",
            "--python-version", python, *platforms, "--target", str(target), *PACKAGES,
        ],
        check=True,
    )  # fmt: skip
    for name in UNUSED_MEDIAPIPE_MODELS:
        for model in (target / "mediapipe" / "modules" / name).glob("*.tflite"):
            model.unlink()
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts, pointing at this machine's Python


def spec_file(name: str) -> Path:
    for folder in SPEC_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(
        f"error: Hallo2 spec file {name} not found in {', '.join(map(str, SPEC_DIRS))}; set HALLO2_SPEC_DIR"
    )


def pack(archive: Path, members: dict[str, Path]) -> None:
    """``members`` (name in the archive → file or folder) into an xz-compressed tar."""
    with tarfile.open(archive, "w:xz", preset=6) as tar:
        for name, path in members.items():
            tar.add(path, arcname=name)


def checkout_bytes() -> int:
    """What travels of the checkout besides carried paths: tracked files and untracked ones git keeps."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    paths = [REPO / name for name in listed.decode().split("\0") if name]
    return sum(path.stat().st_size for path in paths if path.is_file())


def installed_versions(site: Path) -> dict[str, str]:
    versions = {}
    for info in site.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        versions[name] = version
    return dict(sorted(versions.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12", help="the host's Python version (default 3.12)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the folder to carry (.gpu-host)")
    args = parser.parse_args(argv)

    out: Path = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="gpu-host-bundle-") as folder:
        site = Path(folder) / "site"
        install_site(site, args.python)
        versions = installed_versions(site)
        pack(out / "site.tar.xz", {"site": site})
    pack(out / "spec.tar.xz", {f"spec/{name}": spec_file(name) for name in SPEC_FILES})
    (out / "bundle.json").write_text(
        json.dumps({"python": args.python, "packages": versions, "spec_files": list(SPEC_FILES)}, indent=2)
    )

    bundle = sum(path.stat().st_size for path in out.iterdir())
    checkout = checkout_bytes()
    total = bundle + checkout
    mib = 2**20
    print(f"bundle {out}: {bundle / mib:.1f} MiB ({', '.join(f'{n} {v}' for n, v in versions.items())})")
    print(f"checkout that travels with it: {checkout / mib:.1f} MiB")
    print(f"together {total / mib:.1f} MiB of the {CARRY_LIMIT / mib:.0f} MiB one command may carry")
    if total > CARRY_LIMIT:
        print("error: too large to carry; leave out untracked files or carry fewer packages", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
