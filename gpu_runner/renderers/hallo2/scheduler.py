"""The noise schedule Hallo2 was trained with, and the sampling defaults of its long-video inference.

The released weights predict ``v`` on a zero-terminal-SNR schedule, so any other scheduler configuration
produces washed-out or noisy frames even though it runs. Values follow ``configs/inference/long.yaml`` of the
reference with its ``enable_zero_snr`` overrides applied.
"""

from __future__ import annotations

from typing import Any

from diffusers import DDIMScheduler

SCHEDULER_CONFIG: dict[str, Any] = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "linear",
    "clip_sample": False,
    "steps_offset": 1,
    "prediction_type": "v_prediction",
    "rescale_betas_zero_snr": True,
    "timestep_spacing": "trailing",
}

DEFAULT_STEPS = 40
DEFAULT_GUIDANCE_SCALE = 3.5
DEFAULT_SEED = 42
# Deterministic DDIM: the only randomness is the initial noise and the motion-frame pixel mask.
ETA = 0.0


def build_scheduler() -> DDIMScheduler:
    """A fresh DDIM scheduler configured exactly as the released weights expect."""
    return DDIMScheduler(**SCHEDULER_CONFIG)
