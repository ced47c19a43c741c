"""Print what a GPU host runs the checks with: the GPU, the driver, PyTorch, CUDA and cuDNN, and the version
of every package the renderer imports, saying which came from the bundle. Fails when the renderer cannot be
imported, since nothing after that could run.

Run by run.py with the bundle on ``PYTHONPATH``; needs nothing beyond the host's own packages to start.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
import subprocess
import sys
import traceback

PACKAGES = (
    "numpy", "torch", "diffusers", "transformers", "huggingface_hub", "safetensors", "accelerate",
    "insightface", "onnx", "onnxruntime", "mediapipe", "protobuf", "opencv-python-headless", "scipy",
    "scikit-image", "pillow", "pytest",
)  # fmt: skip


def origin(name: str) -> str:
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"
    where = "bundle" if "hallo2-gpu-host" in str(distribution.locate_file("")) else "host"
    return f"{distribution.version} ({where})"


def main() -> int:
    print(f"python {sys.version.split()[0]} on {platform.platform()}")
    for name in PACKAGES:
        print(f"  {name:<24} {origin(name)}")
    import torch

    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        print(
            f"GPU {props.name}: {props.total_memory / 2**30:.0f} GiB, compute capability "
            f"{props.major}.{props.minor}, {props.multi_processor_count} multiprocessors"
        )
        try:
            driver = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            driver = f"unknown ({exc})"
        print(f"driver {driver}")
        cuda = torch.backends.cuda
        print(
            f"SDPA backends enabled: flash {cuda.flash_sdp_enabled()}, memory-efficient "
            f"{cuda.mem_efficient_sdp_enabled()}, cuDNN {cuda.cudnn_sdp_enabled()}; fp16 reduced-precision "
            f"matmul reductions {cuda.matmul.allow_fp16_reduced_precision_reduction}"
        )
    else:
        print("GPU none: PyTorch sees no CUDA device (the CUDA tests will skip themselves)")
    try:
        importlib.import_module("gpu_runner.renderers.hallo2.renderer")
    except Exception:
        print("the renderer cannot be imported:")
        traceback.print_exc(file=sys.stdout)
        return 1
    print("the renderer imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
