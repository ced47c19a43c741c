"""The GPU-host recipe rehearsed end to end on the CPU with tiny models: ``packaging/gpu_host/bundle.py``
here, then ``packaging/gpu_host/run.py --tiny`` in a fresh venv that stands in for the host (its own torch,
NumPy 2, no project installed, only the bundle on top), exactly as a GPU host runs it with ``--full``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import REPO, Venv, make_venv

pytestmark = pytest.mark.slow

HOST_IMAGE = REPO / "packaging" / "gpu_host" / "host-image.txt"
CARRIED = ("diffusers", "insightface", "mediapipe", "protobuf")
STEPS = ("environment", "tests", "bench baseline", "bench cudnn-attention-last")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """The host's Python with the host image's packages, and nothing of the project's."""
    venv = make_venv(tmp_path_factory.mktemp("gpu-host") / "venv")
    venv.pip_install("-r", HOST_IMAGE)
    return venv


@pytest.fixture(scope="module")
def bundle(host: Venv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle for the stand-in host's Python version."""
    version = host.run("-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')").strip()
    folder = tmp_path_factory.mktemp("bundle") / ".gpu-host"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "packaging" / "gpu_host" / "bundle.py"),
            "--python",
            version,
            "--out",
            folder,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "MiB of the 64 MiB one command may carry" in completed.stdout
    return folder


def test_the_recipe_runs_every_step_and_writes_one_report(host: Venv, bundle: Path, tmp_path: Path):
    installed = host.installed()
    assert "wagtail-ai-video-runner" not in installed and "diffusers" not in installed
    assert host.run("-c", "import numpy; print(numpy.__version__)").startswith("2.")

    out = tmp_path / "out"
    completed = subprocess.run(
        [host.python, REPO / "packaging" / "gpu_host" / "run.py", "--tiny", "--bundle", bundle, "--out", out,
         "--budget", "2400"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=2700,
    )  # fmt: skip
    log = (out / "run.log").read_text()
    assert completed.returncode == 0, completed.stdout[-6000:] + log[-6000:]

    report = (out / "report.md").read_text()
    for step in STEPS:
        assert f"| {step} | passed |" in report
    # Where each package came from, as the environment step prints it ("  mediapipe   0.10.21 (bundle)").
    origins = dict(re.findall(r"^  (\S+) +\S+ \((bundle|host)\)$", report, flags=re.MULTILINE))
    assert {name: origins.get(name) for name in CARRIED} == dict.fromkeys(CARRIED, "bundle")
    assert origins["torch"] == origins["numpy"] == "host"
    assert "the renderer imports" in report
    # On the CPU the CUDA tests skip themselves, but only after their module imported the whole renderer.
    assert "figure: fp16 on cpu with fp16 matmul reductions" in report
    assert "figure: fp16 on cpu with fp32 matmul reductions" in report
    for rung in ("baseline", "cudnn-attention-last"):
        figures = json.loads((out / f"bench-{rung}.json").read_text())
        assert figures["weights"] == "tiny random weights" and figures["clips"] == 2
        assert figures["extrapolated"] and figures["per_video_second"] > figures["step_s"] > 0
        assert f"| {rung} |" in report and f"{figures['per_video_second']:.2f} (extrapolated) |" in report
    assert "TORCH_CUDNN_SDPA_DEPRIORITIZED=1" in report
    assert completed.stdout.rstrip().endswith(report.rstrip().splitlines()[-1])
