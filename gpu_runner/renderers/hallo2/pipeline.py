"""The Hallo2 clip loop: audio features and a prepared face in, frames out, one 16-frame clip at a time.

Each clip is sampled with DDIM and classifier-free guidance, conditioned on the reference image and on two
*motion frames* (the last two frames of the previous clip; for the first clip, two copies of the reference
image) so that consecutive clips join smoothly. Frames are yielded as soon as a clip is decoded, so a long
video never sits in memory.

Where we differ from the reference on purpose:
- the video lasts exactly as long as the audio: the last, partial clip is rendered on padded audio features
  and trimmed, where the reference drops it;
- the reference image is VAE-encoded once per job instead of once per clip, apart from its two motion
  frames (same values up to float rounding, less work);
- the VAE decodes a few frames per call instead of one (same values up to float rounding).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np
import torch
from diffusers import AutoencoderKL, DDIMScheduler

from gpu_runner.protocol import ErrorCode
from gpu_runner.renderers.base import RenderRefused

from .audio_features import CLIP_LENGTH, AudioFeatures
from .denoise import Conditioning, predict_noise, prepare_conditioning, reference_pass
from .models.reference_bank import ReferenceBank
from .net import Net
from .scheduler import DEFAULT_GUIDANCE_SCALE, DEFAULT_SEED, DEFAULT_STEPS, ETA, build_scheduler

MOTION_FRAMES = 2
# Share of the pixels outside the face box blanked in the motion frames (long.yaml `use_mask`, `mask_rate`).
MOTION_MASK_RATE = 0.25
VAE_SCALE = 0.18215


# --- job options --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplingOptions:
    """The knobs a job may turn, with the bounds that keep a job from monopolising the GPU."""

    steps: int = DEFAULT_STEPS
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE
    seed: int = DEFAULT_SEED

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "steps": (1, 100),
        "cfg": (1.0, 20.0),
        "seed": (0, 2**63 - 1),
    }

    @classmethod
    def from_job(cls, options: Mapping[str, Any]) -> SamplingOptions:
        """Read ``steps``, ``cfg`` and ``seed`` from a job's options; other keys belong to other stages."""
        values: dict[str, Any] = {}
        for name, field_name, kind in (
            ("steps", "steps", int),
            ("cfg", "guidance_scale", float),
            ("seed", "seed", int),
        ):
            if name not in options or options[name] is None:
                continue
            raw = options[name]
            low, high = cls.BOUNDS[name]
            numeric = isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)
            if not numeric or (kind is int and not float(raw).is_integer()) or not low <= raw <= high:
                raise RenderRefused(
                    ErrorCode.BAD_MESSAGE,
                    f"option {name}={raw!r} is invalid: use {'an integer' if kind is int else 'a number'} "
                    f"from {low} to {high}",
                )
            values[field_name] = kind(raw)
        return cls(**values)


# --- clip planning ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClipPlan:
    """How ``frame_count`` frames split into clips: all full except maybe the last, which is trimmed."""

    frame_count: int
    clip_length: int = CLIP_LENGTH

    @property
    def clip_count(self) -> int:
        return math.ceil(self.frame_count / self.clip_length)

    @property
    def padded_frame_count(self) -> int:
        """Frames actually sampled; the audio features must cover this many."""
        return self.clip_count * self.clip_length

    def kept_frames(self, clip: int) -> int:
        """How many frames of clip ``clip`` reach the video (fewer than ``clip_length`` only for the last)."""
        if not 0 <= clip < self.clip_count:
            raise IndexError(f"clip {clip} is outside 0..{self.clip_count - 1}")
        return min(self.clip_length, self.frame_count - clip * self.clip_length)

    def audio_range(self, clip: int) -> tuple[int, int]:
        """The frames ``start, stop`` of the (padded) audio features that drive clip ``clip``."""
        return clip * self.clip_length, (clip + 1) * self.clip_length


def motion_frame_mask(
    generator: torch.Generator,
    height: int,
    width: int,
    face_region: torch.Tensor,
    rate: float = MOTION_MASK_RATE,
) -> torch.Tensor:
    """A (1, 1, H, W) 0/1 mask that drops ``rate`` of the pixels outside the face box, the same for every
    motion frame and channel. ``face_region`` is the face-locator input, (C, H, W) or (H, W) in {0, 1}.
    """
    keep = torch.rand((height, width), generator=generator) > rate
    face = face_region if face_region.dim() == 2 else face_region.amax(dim=0)
    return (keep | (face.to(keep.device) > 0.5)).to(torch.float32)[None, None]


def initial_motion_frames(reference: torch.Tensor) -> torch.Tensor:
    """The first clip's motion frames: copies of the reference image, (M, 3, H, W) in [-1, 1]."""
    return reference.expand(MOTION_FRAMES, *reference.shape[-3:]).clone()


def next_motion_frames(decoded_clip: torch.Tensor) -> torch.Tensor:
    """The last ``MOTION_FRAMES`` frames of a decoded clip, (F, 3, H, W) in [-1, 1], feed the next clip."""
    return decoded_clip[-MOTION_FRAMES:].clone()


def to_uint8_frames(pixels: torch.Tensor) -> Iterator[np.ndarray]:
    """Frames in [-1, 1], (F, 3, H, W), as uint8 H×W×3 RGB arrays."""
    images = ((pixels.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    for image in images.permute(0, 2, 3, 1).cpu().numpy():
        yield np.ascontiguousarray(image)


# A per-step progress callback: (clip index, step index within the clip).
StepCallback = Callable[[int, int], None]


# --- the clip loop ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedFace:
    """Everything the loop needs from the presenter image, at the render size.

    Attributes:
        reference: the framed photo, (3, H, W) float32 in [-1, 1].
        face_region: the face-locator input, (3, H, W) in {0, 1}.
        full_masks, face_masks, lip_masks: four (1, h·w) soft masks each, latent side first.
        embedding: the raw 512-d identity embedding (zeros when identity is off).
    """

    reference: torch.Tensor
    face_region: torch.Tensor
    full_masks: tuple[torch.Tensor, ...]
    face_masks: tuple[torch.Tensor, ...]
    lip_masks: tuple[torch.Tensor, ...]
    embedding: torch.Tensor


class StageClock:
    """Accumulates seconds per stage of the loop. On CUDA it synchronises at each stage boundary (a few times
    per clip), so the numbers are the GPU's time, not the time to queue kernels."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: dict[str, float] = {}

    def _now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = self._now()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + self._now() - start


class Hallo2Pipeline:
    """Samples clips with loaded networks. Holds no per-job state, so one instance serves every job."""

    def __init__(
        self,
        net: Net,
        vae: AutoencoderKL,
        device: torch.device,
        vae_batch: int = 4,
    ) -> None:
        self.net = net
        self.vae = vae
        self.device = device
        self.vae_batch = vae_batch

    @property
    def image_size(self) -> int:
        """The square frame side the networks were configured for (512 for the release)."""
        vae_factor = 2 ** (len(self.vae.config.block_out_channels) - 1)
        return self.net.reference_unet.config.sample_size * vae_factor

    def encode(self, pixels: torch.Tensor) -> torch.Tensor:
        """VAE latents (mean of the posterior, scaled) of (N, 3, H, W) pixels in [-1, 1]."""
        pixels = pixels.to(device=self.device, dtype=self.vae.dtype)
        return self.vae.encode(pixels).latent_dist.mean.float() * VAE_SCALE

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """(F, 4, h, w) latents → (F, 3, H, W) float32 pixels in [-1, 1], ``vae_batch`` frames per call."""
        pieces = []
        for chunk in latents.split(self.vae_batch):
            decoded = self.vae.decode(chunk.to(self.vae.dtype) / VAE_SCALE).sample
            pieces.append(decoded.float().clamp(-1, 1))
        return torch.cat(pieces)

    @torch.no_grad()
    def denoise(
        self,
        scheduler: DDIMScheduler,
        timesteps: torch.Tensor,
        latents: torch.Tensor,
        cond: Conditioning,
        banks: dict[str, ReferenceBank],
        guidance_scale: float,
        on_step: Callable[[int], None] | None = None,
    ) -> torch.Tensor:
        """One clip's DDIM loop: ``latents`` noisy at the first timestep in, denoised out.

        ``timesteps`` is the scheduler's timesteps already on the network's device. The scheduler itself gets
        them as Python ints: it indexes its CPU tables with the timestep and branches on it, so a CUDA tensor
        there would make the host wait for the GPU several times per step. ``on_step`` runs after each step
        with its index.
        """
        for step, timestep in enumerate(scheduler.timesteps.tolist()):
            guided = predict_noise(self.net, latents, timesteps[step], cond, banks).guided(guidance_scale)
            latents = scheduler.step(guided, timestep, latents, eta=ETA).prev_sample
            if on_step is not None:
                on_step(step)
        return latents

    @torch.no_grad()
    def frames(
        self,
        face: PreparedFace,
        audio: AudioFeatures,
        plan: ClipPlan,
        options: SamplingOptions,
        *,
        on_step: StepCallback | None = None,
        between_clips: Callable[[], None] | None = None,
        clock: StageClock | None = None,
    ) -> Iterator[np.ndarray]:
        """Yield the video's ``plan.frame_count`` frames, uint8 H×W×3, one clip at a time.

        ``between_clips`` runs before every clip (the renderer checks for cancellation there); ``on_step``
        after every denoising step.
        """
        if audio.embeddings.shape[0] < plan.padded_frame_count:
            raise ValueError(
                f"audio features cover {audio.embeddings.shape[0]} frames; {plan.clip_count} clips need "
                f"{plan.padded_frame_count}"
            )
        clock = clock or StageClock(self.device)
        size = self.image_size
        latent_size = size // 8
        # One CPU generator for the whole job, drawn in the reference's order (mask, then noise, per clip),
        # so a seed gives the same video on any device.
        generator = torch.Generator().manual_seed(options.seed)
        scheduler = build_scheduler()
        scheduler.set_timesteps(options.steps)
        timesteps = scheduler.timesteps.to(self.device)  # once per job, for the network
        with clock.stage("vae_encode"):
            reference_latent = self.encode(face.reference[None])
        motion = initial_motion_frames(face.reference)
        for clip in range(plan.clip_count):
            if between_clips is not None:
                between_clips()
            mask = motion_frame_mask(generator, size, size, face.face_region)
            noise = torch.randn((1, 4, plan.clip_length, latent_size, latent_size), generator=generator)
            with clock.stage("vae_encode"):
                motion_latents = self.encode(motion.to(mask.device) * mask)
            with clock.stage("reference_pass"):
                cond = prepare_conditioning(
                    self.net,
                    face.embedding,
                    audio.windows(*plan.audio_range(clip)),
                    face.face_region,
                    face.full_masks,
                    face.face_masks,
                    face.lip_masks,
                )
                banks = reference_pass(self.net, torch.cat([reference_latent, motion_latents]), cond)
            latents = noise.to(self.device) * scheduler.init_noise_sigma
            with clock.stage("denoising"):
                latents = self.denoise(
                    scheduler,
                    timesteps,
                    latents,
                    cond,
                    banks,
                    options.guidance_scale,
                    on_step=None if on_step is None else partial(on_step, clip),
                )
            del banks, cond
            with clock.stage("vae_decode"):
                pixels = self.decode(latents[0].transpose(0, 1))
            motion = next_motion_frames(pixels).cpu()
            with clock.stage("to_frames"):
                kept = list(to_uint8_frames(pixels[: plan.kept_frames(clip)]))
            del pixels
            yield from kept
