"""The Hallo2 models directory: which files it holds, under what licence, how to fetch and check them.

The layout is the one of the released Hugging Face repository ``fudan-generative-ai/hallo2`` (the
reference code's ``pretrained_models/``), so a directory downloaded with ``huggingface-cli`` works as is. Only
the files our code loads are listed: the super-resolution weights, the audio separator and the AnimateDiff
motion module (its weights are inside ``net.pth``, its configuration is fixed in code) are never read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gpu_runner.checksums import file_sha256

if TYPE_CHECKING:
    from .net import NetConfig

HF_REPO = "fudan-generative-ai/hallo2"
# A branch name; set a commit id here to pin every download to one exact release.
HF_REVISION = "main"
FETCH_COMMAND = "python -m gpu_runner fetch-models --dir {dir}"

NET = "hallo2/net.pth"
UNET_CONFIG = "stable-diffusion-v1-5/unet/config.json"
VAE_DIR = "sd-vae-ft-mse"
WAV2VEC_DIR = "wav2vec/wav2vec2-base-960h"
ARCFACE = "face_analysis/models/glintr100.onnx"


@dataclass(frozen=True)
class ModelFile:
    """One file of the models directory, as the released repository names it."""

    path: str
    purpose: str
    licence: str
    commercial_use: bool
    loaded: bool = True


MODEL_FILES: tuple[ModelFile, ...] = (
    ModelFile(
        NET,
        "all Hallo2 networks: reference UNet, denoising UNet3D, face locator, image and audio projections",
        "MIT (Hallo2 release); the UNets are fine-tuned from Stable Diffusion 1.5 (CreativeML OpenRAIL-M)",
        True,
    ),
    ModelFile(
        UNET_CONFIG, "UNet architecture only; its weights are in net.pth", "CreativeML OpenRAIL-M", True
    ),
    ModelFile(f"{VAE_DIR}/config.json", "VAE architecture", "MIT", True),
    ModelFile(f"{VAE_DIR}/diffusion_pytorch_model.safetensors", "VAE encode/decode weights", "MIT", True),
    ModelFile(f"{WAV2VEC_DIR}/config.json", "wav2vec2 architecture", "Apache-2.0", True),
    ModelFile(f"{WAV2VEC_DIR}/model.safetensors", "wav2vec2 audio features", "Apache-2.0", True),
    ModelFile(
        f"{WAV2VEC_DIR}/preprocessor_config.json",
        "wav2vec2 input format (16 kHz, normalised), checked at load against what audio_features.py feeds",
        "Apache-2.0",
        True,
    ),
    ModelFile(
        ARCFACE,
        "ArcFace identity embedding (insightface antelopev2)",
        "insightface model licence: non-commercial research only",
        False,
    ),
)

# Files of the release this product never reads, listed so the licence table answers "do we ship that?".
UNUSED_FILES: tuple[ModelFile, ...] = (
    ModelFile(
        "hallo2/net_g.pth",
        "video super-resolution (CodeFormer variant)",
        "S-Lab License 1.0: non-commercial",
        False,
        loaded=False,
    ),
    ModelFile("CodeFormer/", "face restoration", "S-Lab License 1.0: non-commercial", False, loaded=False),
    ModelFile(
        "face_analysis/models/ (other antelopev2 files)",
        "insightface detection and landmarks",
        "insightface model licence: non-commercial research only",
        False,
        loaded=False,
    ),
    ModelFile(
        "motion_module/mm_sd_v15_v2.ckpt", "AnimateDiff motion module", "Apache-2.0", True, loaded=False
    ),
)

NONCOMMERCIAL_FALLBACK = (
    "identity embedding disabled: glintr100.onnx (insightface) is licensed for non-commercial use only and "
    "GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS is false, so the face identity input is zeros; the likeness "
    "relies on the reference image alone"
)


class ModelsMissing(FileNotFoundError):
    """Files the renderer needs are absent from the models directory."""

    def __init__(self, models_dir: Path, missing: Sequence[str]) -> None:
        self.models_dir = models_dir
        self.missing = list(missing)
        listing = "\n".join(f"  - {models_dir / path}" for path in self.missing)
        super().__init__(
            f"Hallo2 models directory {str(models_dir)!r} lacks {len(self.missing)} file(s):\n{listing}\n"
            f"Fetch them with: {FETCH_COMMAND.format(dir=models_dir)}"
        )


class ModelsCorrupt(ValueError):
    """Files are present but are not what the release publishes (wrong size, hash or tensor names)."""


def required_files(allow_noncommercial: bool) -> list[ModelFile]:
    """The files the renderer loads under the given licence policy."""
    return [f for f in MODEL_FILES if f.commercial_use or allow_noncommercial]


def check_models_dir(models_dir: str | os.PathLike[str], allow_noncommercial: bool) -> Path:
    """Fail fast, in one message, if any file the renderer loads is missing or empty."""
    root = Path(models_dir).expanduser()
    missing = [
        f.path
        for f in required_files(allow_noncommercial)
        if not (root / f.path).is_file() or (root / f.path).stat().st_size == 0
    ]
    if missing:
        raise ModelsMissing(root, missing)
    return root


def licence_table_markdown() -> str:
    """The licence table for the README: every file of the release, whether we load it, and its licence."""
    rows = ["| file | used for | loaded | licence | commercial use |", "|---|---|---|---|---|"]
    for f in (*MODEL_FILES, *UNUSED_FILES):
        loaded = "yes" if f.loaded else "no"
        if f.loaded and not f.commercial_use:
            loaded = "only if GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS=true"
        commercial = "yes" if f.commercial_use else "**no**"
        rows.append(f"| `{f.path}` | {f.purpose} | {loaded} | {f.licence} | {commercial} |")
    return "\n".join(rows)


# --- hashes -------------------------------------------------------------------------------------------------


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256.json")


def cached_sha256(path: Path) -> str:
    """SHA-256 of ``path``, cached beside it keyed by size and mtime.

    Hashing net.pth (4.85 GB) takes seconds; the cache makes every boot after the first (or after
    ``fetch-models``, which hashes to verify the download) free. A read-only models dir just skips the cache.
    """
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    sidecar = _sidecar(path)
    try:
        cached = json.loads(sidecar.read_text())
        if cached.get("size") == stamp["size"] and cached.get("mtime_ns") == stamp["mtime_ns"]:
            return str(cached["sha256"])
    except (OSError, ValueError, KeyError):
        pass
    sha = file_sha256(path)
    try:
        sidecar.write_text(json.dumps({**stamp, "sha256": sha}))
    except OSError:
        pass
    return sha


# --- net.pth key check --------------------------------------------------------------------------------------


def checkpoint_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes of a torch checkpoint, memory-mapped so that 4.85 GB is never read into RAM."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError:
        # Legacy (non-zip) checkpoints cannot be memory-mapped; fall back to a full load.
        state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, Mapping):
        raise ModelsCorrupt(f"{path} holds a {type(state).__name__}, expected a state dict of tensors")
    return {str(k): tuple(v.shape) for k, v in state.items()}


def compare_state_shapes(
    found: Mapping[str, tuple[int, ...]], expected: Mapping[str, tuple[int, ...]], limit: int = 8
) -> list[str]:
    """Human-readable differences between two name→shape maps; empty when they agree."""
    problems: list[str] = []
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = sorted(k for k in set(found) & set(expected) if tuple(found[k]) != tuple(expected[k]))
    if missing:
        problems.append(f"{len(missing)} missing tensor(s), e.g. {missing[:limit]}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensor(s), e.g. {unexpected[:limit]}")
    if wrong:
        shown = [f"{k}: {found[k]} != {expected[k]}" for k in wrong[:limit]]
        problems.append(f"{len(wrong)} tensor(s) of the wrong shape, e.g. {shown}")
    return problems


def verify_net_checkpoint(path: Path, expected: Mapping[str, tuple[int, ...]]) -> None:
    """Raise :class:`ModelsCorrupt` unless ``path`` holds the tensors (names, shapes) of ``expected``."""
    problems = compare_state_shapes(checkpoint_shapes(path), expected)
    if problems:
        raise ModelsCorrupt(f"{path} does not match the Hallo2 network: " + "; ".join(problems))


def read_net_config(models_dir: Path) -> NetConfig:
    """The network configuration a models directory implies.

    The UNet shapes come from ``stable-diffusion-v1-5/unet/config.json`` and the audio projection's input from
    wav2vec2's ``config.json`` (layers × width); everything else is fixed by the release.
    """
    from .net import HALLO2_CONFIG, UNetConfig

    wav2vec = json.loads((models_dir / WAV2VEC_DIR / "config.json").read_text())
    try:
        unet = UNetConfig.from_diffusers(json.loads((models_dir / UNET_CONFIG).read_text()))
    except ValueError as exc:
        raise ModelsCorrupt(f"{models_dir / UNET_CONFIG}: {exc}; Hallo2 needs SD1.5's UNet config") from None
    return replace(
        HALLO2_CONFIG,
        unet=unet,
        audio_layers=wav2vec["num_hidden_layers"],
        audio_channels=wav2vec["hidden_size"],
    )


def expected_net_shapes(models_dir: Path) -> dict[str, tuple[int, ...]]:
    """The tensor names and shapes of our network for ``models_dir``'s configs, built on meta (no memory)."""
    import torch

    from .net import build_net

    with torch.device("meta"):
        net = build_net(read_net_config(models_dir))
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


# --- fetching -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    """What the hub says about one file: its size and, for large (LFS) files, its SHA-256."""

    path: str
    size: int
    sha256: str | None


def hub_file_info(
    paths: Iterable[str], repo: str = HF_REPO, revision: str = HF_REVISION
) -> dict[str, RemoteFile]:
    """Sizes and hashes of ``paths`` in the hub repository, in one request."""
    from huggingface_hub import HfApi

    info = HfApi().get_paths_info(repo, list(paths), revision=revision)
    found = {}
    for entry in info:
        lfs = getattr(entry, "lfs", None)
        size = getattr(entry, "size", None)
        if size is not None:
            found[entry.path] = RemoteFile(entry.path, int(size), lfs.sha256 if lfs is not None else None)
    return found


def verify_download(root: Path, remote: Mapping[str, RemoteFile]) -> list[str]:
    """Compare local files with the hub's sizes and LFS hashes; returns the problems found."""
    problems = []
    for path, meta in remote.items():
        local = root / path
        if not local.is_file():
            problems.append(f"{path}: not on disk after download")
            continue
        size = local.stat().st_size
        if size != meta.size:
            problems.append(f"{path}: {size} bytes, the hub has {meta.size}")
        elif meta.sha256 and cached_sha256(local) != meta.sha256:
            problems.append(f"{path}: SHA-256 differs from the hub's {meta.sha256[:12]}…")
    return problems


Downloader = Callable[..., str]


def fetch_models(
    models_dir: str | os.PathLike[str],
    *,
    download: Downloader | None = None,
    remote: Mapping[str, RemoteFile] | None = None,
    expected_shapes: Callable[[Path], Mapping[str, tuple[int, ...]]] = expected_net_shapes,
    log: Callable[[str], None] = print,
) -> Path:
    """Download every file the renderer loads into ``models_dir``, then verify sizes, hashes and net.pth keys.

    ``download`` and ``remote`` default to the Hugging Face hub (``hf_hub_download`` per file, one metadata
    request); tests pass their own.
    """
    root = Path(models_dir).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    if download is None:
        from huggingface_hub import hf_hub_download

        download = hf_hub_download
    if remote is None:
        remote = hub_file_info(f.path for f in MODEL_FILES)
    for f in MODEL_FILES:
        note = "" if f.commercial_use else "  (NON-COMMERCIAL licence: loaded only when allowed)"
        log(f"fetching {f.path} [{f.licence}]{note}")
        download(HF_REPO, f.path, revision=HF_REVISION, local_dir=root)
    problems = verify_download(root, remote)
    absent = [f.path for f in MODEL_FILES if f.path not in remote]
    if absent:
        problems.append(f"the hub listed no size for {absent}; cannot verify them")
    if not problems:
        verify_net_checkpoint(root / NET, expected_shapes(root))
    if problems:
        raise ModelsCorrupt(
            f"downloaded models in {str(root)!r} failed verification:\n  - "
            + "\n  - ".join(problems)
            + f"\nDelete those files and run {FETCH_COMMAND.format(dir=root)} again."
        )
    log(f"all {len(MODEL_FILES)} files present and verified in {root}")
    return root


def default_models_dir() -> str:
    """``HALLO_MODELS_DIR``, as the runner's settings read it."""
    from gpu_runner.settings import RunnerSettings

    return RunnerSettings.from_env().hallo_models_dir


def fetch_models_main(args: argparse.Namespace) -> int:
    """``python -m gpu_runner fetch-models [--dir D]``: download, verify, print licences; the exit status."""
    import httpx  # huggingface_hub's HTTP client; its errors are what an unreachable hub raises

    target = getattr(args, "dir", None) or default_models_dir()
    try:
        fetch_models(target)
    except httpx.HTTPError as exc:
        print(
            f"error: cannot fetch {HF_REPO} from the Hugging Face hub ({type(exc).__name__}: {exc}). "
            f"Check the network or HF_ENDPOINT, or copy a downloaded pretrained_models folder to {target}",
            file=sys.stderr,
        )
        return 1
    except (ModelsCorrupt, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(licence_table_markdown())
    return 0
