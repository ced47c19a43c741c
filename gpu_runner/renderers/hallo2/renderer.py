"""``Hallo2Renderer``: the Hallo2 talking-head model behind the runner's :class:`Renderer` interface.

Everything heavy is loaded once, in :meth:`Hallo2Renderer.load`: the networks (fp16 with PyTorch's SDPA
attention on CUDA, fp32 on CPU), the VAE, wav2vec2, the identity model and the face finder. A job then only
computes: the face stage (framing, landmarks, masks, identity), the audio stage (wav2vec2 features) and the
render stage (the clip loop, streamed frame by frame to the encoder).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from diffusers import AutoencoderKL

from gpu_runner.faces import FaceFinder
from gpu_runner.protocol import ErrorCode

from ..base import FPS, FrameStream, Renderer, RenderInput, RenderRefused, StageReporter
from .audio_features import AudioEncoder, AudioFeatures
from .identity import IdentityEncoder
from .masks import compute_masks
from .net import Net, build_net, load_net_state
from .pipeline import CLIP_LENGTH, ClipPlan, Hallo2Pipeline, PreparedFace, SamplingOptions, StageClock
from .weights import (
    ARCFACE,
    NET,
    NONCOMMERCIAL_FALLBACK,
    VAE_DIR,
    WAV2VEC_DIR,
    cached_sha256,
    check_models_dir,
    read_net_config,
)

logger = logging.getLogger(__name__)

OUT_OF_MEMORY_MESSAGE = (
    "the GPU ran out of memory while rendering this video; the runner has freed it and stays up. Retry when "
    "no other process shares the GPU, or run the runner on a GPU with at least 16 GB"
)


# How allocation failures outside PyTorch's caching allocator read: cuBLAS and cuDNN creating handles or
# workspaces, and CUDA calls failing with cudaErrorMemoryAllocation, all raise a plain RuntimeError.
OUT_OF_MEMORY_SIGNS = ("out of memory", "CUBLAS_STATUS_ALLOC_FAILED", "CUDNN_STATUS_ALLOC_FAILED")


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` says the GPU (or its math libraries) could not allocate memory."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and any(sign in str(error) for sign in OUT_OF_MEMORY_SIGNS)


class Hallo2Settings(Protocol):
    """The runner settings the renderer reads (``gpu_runner.settings.RunnerSettings`` has them)."""

    hallo_models_dir: str
    allow_noncommercial_weights: bool
    device: str


def select_device(setting: str) -> tuple[torch.device, torch.dtype]:
    """The device and weight dtype for ``GPU_RUNNER_DEVICE`` (auto, cuda or cpu)."""
    if setting == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "GPU_RUNNER_DEVICE=cuda but PyTorch sees no CUDA GPU; use auto or cpu, or fix the driver"
        )
    if setting in ("auto", "cuda") and torch.cuda.is_available():
        # fp16 as the release was evaluated; bf16 would change the fp16-rounded reference banks' numerics.
        return torch.device("cuda"), torch.float16
    return torch.device("cpu"), torch.float32


def onnx_providers(device: torch.device) -> tuple[str, ...]:
    """onnxruntime providers for the identity model: CUDA when the runner uses it and the installed
    onnxruntime has it (the CPU-only wheel does not; one embedding per job is fast on CPU anyway)."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if device.type == "cuda" and "CUDAExecutionProvider" in available:
        return ("CUDAExecutionProvider", "CPUExecutionProvider")
    return ("CPUExecutionProvider",)


def load_net(models_dir: Path, device: torch.device, dtype: torch.dtype) -> Net:
    """Build the networks for ``models_dir`` and load ``hallo2/net.pth`` strictly, without a second copy.

    The modules are built on the meta device (no memory) and the checkpoint is memory-mapped, so the only
    full copy is the one on ``device``.
    """
    with torch.device("meta"):
        net = build_net(read_net_config(models_dir)).to(dtype)
    state = torch.load(models_dir / NET, map_location="cpu", weights_only=True, mmap=True)
    load_net_state(net, state)
    net = net.to(device)
    net.eval().requires_grad_(False)
    still_meta = [name for name, t in [*net.named_parameters(), *net.named_buffers()] if t.is_meta]
    if still_meta:
        raise RuntimeError(f"{len(still_meta)} network tensors were not in net.pth, e.g. {still_meta[:3]}")
    return net


@dataclass
class LoadedModels:
    """What :meth:`Hallo2Renderer.load` holds for the life of the process."""

    pipeline: Hallo2Pipeline
    audio: AudioEncoder
    identity: IdentityEncoder
    faces: FaceFinder
    net_sha256: str


class Hallo2Renderer(Renderer):
    """Renders a talking head from one presenter photo and a voice track with Hallo2."""

    name = "hallo2"

    def __init__(self, settings: Hallo2Settings, vae_batch: int | None = None) -> None:
        self.settings = settings
        self._vae_batch = vae_batch
        self._models: LoadedModels | None = None
        #: seconds per stage of the last render's clip loop (reference pass, denoising, VAE decode, …)
        self.last_timings: dict[str, float] = {}

    # --- boot ---------------------------------------------------------------------------------------------

    def load(self) -> None:
        """Check the models directory (one error naming every missing file), then load every model once."""
        allow_noncommercial = self.settings.allow_noncommercial_weights
        root = check_models_dir(self.settings.hallo_models_dir, allow_noncommercial)
        device, dtype = select_device(self.settings.device)
        if device.type == "cuda":
            # Every job runs the same convolution shapes, so cuDNN's one-off algorithm search pays for itself.
            torch.backends.cudnn.benchmark = True
        net = load_net(root, device, dtype)
        vae = AutoencoderKL.from_pretrained(root / VAE_DIR, torch_dtype=dtype).to(device).eval()
        vae.requires_grad_(False)
        if allow_noncommercial:
            identity = IdentityEncoder(root / ARCFACE, providers=onnx_providers(device))
        else:
            identity = IdentityEncoder.disabled(NONCOMMERCIAL_FALLBACK)
        self._models = LoadedModels(
            pipeline=Hallo2Pipeline(
                net, vae, device, vae_batch=self._vae_batch or (8 if device.type == "cuda" else 2)
            ),
            audio=AudioEncoder(root / WAV2VEC_DIR, device=device),
            identity=identity,
            faces=FaceFinder(),
            net_sha256=cached_sha256(root / NET),
        )
        logger.info("hallo2 loaded on %s (%s): %s", device, dtype, self.weights())

    def weights(self) -> str:
        """Which weights produce the video: ``hallo2 net.pth sha256:<12 hex> + sd-vae-ft-mse + …``."""
        if self._models is None:
            return "hallo2 (not loaded)"
        identity = "glintr100" if self._models.identity.enabled else "none (non-commercial weights refused)"
        return (
            f"hallo2 net.pth sha256:{self._models.net_sha256[:12]} + sd-vae-ft-mse + wav2vec2-base-960h; "
            f"identity: {identity}"
        )

    def describe(self) -> dict[str, object]:
        """``/health``: name, weights, device and frame size."""
        info: dict[str, object] = {
            "name": self.name,
            "weights": self.weights(),
            "loaded": self._models is not None,
        }
        if self._models is not None:
            info.update(device=str(self._models.pipeline.device), size=self._models.pipeline.image_size)
        return info

    # --- jobs ---------------------------------------------------------------------------------------------

    def render(self, job: RenderInput, reporter: StageReporter) -> FrameStream:
        """Face and audio stages now (refusals come before any diffusion); the clip loop lazily, as frames
        are read from the returned stream."""
        models = self._require_loaded()
        options = SamplingOptions.from_job(job.options)
        if job.fps != FPS:
            raise RenderRefused(
                ErrorCode.BAD_MESSAGE, f"Hallo2 renders at {FPS} fps; the job asks for {job.fps}"
            )
        out_of_memory = False
        try:
            face, audio, fallbacks = self._prepare(models, job, reporter)
        except RuntimeError as error:
            if not is_out_of_memory(error):
                raise
            # Refused below, outside this handler, as in _render_frames.
            out_of_memory = True
        if out_of_memory:
            self._release_memory(models)
            raise self._out_of_memory_refusal()

        plan = ClipPlan(job.frame_count)
        size = models.pipeline.image_size
        frames = self._render_frames(models, face, audio, plan, options, reporter)
        return FrameStream(size, size, FPS, plan.frame_count, frames, fallbacks=fallbacks)

    def _prepare(
        self, models: LoadedModels, job: RenderInput, reporter: StageReporter
    ) -> tuple[PreparedFace, AudioFeatures, list[str]]:
        """The face and audio stages: the prepared face, the audio features and the fallbacks taken."""
        size = models.pipeline.image_size
        reporter.check_cancelled()

        reporter.enter("face")
        found = models.faces.find(job.image, size=size)
        masks = compute_masks(found.landmarks, size)
        identity = models.identity.embed(found.image, found.landmarks)
        fallbacks = [identity.fallback] if identity.fallback else []
        reference = torch.from_numpy(np.asarray(found.image.convert("RGB"), dtype=np.float32))
        face = PreparedFace(
            reference=(reference.permute(2, 0, 1) / 127.5 - 1.0).contiguous(),
            face_region=torch.from_numpy(masks.face_region),
            full_masks=tuple(torch.from_numpy(m) for m in masks.full_levels),
            face_masks=tuple(torch.from_numpy(m) for m in masks.face_levels),
            lip_masks=tuple(torch.from_numpy(m) for m in masks.lip_levels),
            embedding=torch.from_numpy(identity.vector),
        )
        reporter.progress(1.0)
        reporter.check_cancelled()

        reporter.enter("audio")
        audio = models.audio.encode(job.speech, clip_length=CLIP_LENGTH)
        reporter.progress(1.0)
        reporter.check_cancelled()
        return face, audio, fallbacks

    def _render_frames(
        self,
        models: LoadedModels,
        face: PreparedFace,
        audio: AudioFeatures,
        plan: ClipPlan,
        options: SamplingOptions,
        reporter: StageReporter,
    ) -> Iterator[np.ndarray]:
        """The render stage as a generator; frees GPU memory however it ends and turns OOM into a clear
        refusal, so the next job finds the renderer as it was after :meth:`load`."""
        reporter.enter("render")
        total_steps = plan.clip_count * options.steps
        clock = StageClock(models.pipeline.device)
        self.last_timings = clock.seconds

        def on_step(clip: int, step: int) -> None:
            reporter.progress((clip * options.steps + step + 1) / total_steps)

        out_of_memory = False
        try:
            yield from models.pipeline.frames(
                face,
                audio,
                plan,
                options,
                on_step=on_step,
                between_clips=reporter.check_cancelled,
                clock=clock,
            )
        except RuntimeError as error:
            if not is_out_of_memory(error):
                raise
            # Refused below, outside this handler, so the traceback (and the tensors its frames hold) is gone
            # before the memory is released.
            out_of_memory = True
        finally:
            del face, audio
            self._release_memory(models)
        if out_of_memory:
            raise self._out_of_memory_refusal()

    @staticmethod
    def _release_memory(models: LoadedModels) -> None:
        gc.collect()
        if models.pipeline.device.type == "cuda":
            torch.cuda.empty_cache()

    @staticmethod
    def _out_of_memory_refusal() -> RenderRefused:
        """The refusal for a job that ran out of GPU memory, raised once that memory is released."""
        logger.warning("hallo2 render ran out of GPU memory; memory released, renderer still loaded")
        return RenderRefused(ErrorCode.OUT_OF_MEMORY, OUT_OF_MEMORY_MESSAGE)

    def _require_loaded(self) -> LoadedModels:
        if self._models is None:
            raise RuntimeError("Hallo2Renderer.render() called before load(); the runner loads it at boot")
        return self._models
