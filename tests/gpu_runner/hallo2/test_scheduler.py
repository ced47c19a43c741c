"""The DDIM configuration the released Hallo2 weights were trained for."""

from __future__ import annotations

import torch
from diffusers import DDIMScheduler

from gpu_runner.renderers.hallo2.scheduler import DEFAULT_GUIDANCE_SCALE, DEFAULT_STEPS, build_scheduler


def test_scheduler_is_zero_snr_v_prediction_ddim():
    scheduler = build_scheduler()
    config = scheduler.config
    assert isinstance(scheduler, DDIMScheduler)
    assert config.prediction_type == "v_prediction"
    assert config.rescale_betas_zero_snr is True
    assert config.timestep_spacing == "trailing"
    assert (config.beta_start, config.beta_end, config.beta_schedule) == (0.00085, 0.012, "linear")
    assert config.steps_offset == 1
    assert config.clip_sample is False
    # Zero terminal SNR: the last training timestep is pure noise.
    assert scheduler.alphas_cumprod[-1].item() == 0.0


def test_forty_trailing_steps_start_at_the_last_timestep():
    scheduler = build_scheduler()
    scheduler.set_timesteps(DEFAULT_STEPS)
    timesteps = scheduler.timesteps
    assert len(timesteps) == 40
    assert timesteps[:3].tolist() == [999, 974, 949]
    assert timesteps[-1].item() == 24
    assert DEFAULT_GUIDANCE_SCALE == 3.5


def test_step_with_eta_zero_is_deterministic():
    scheduler = build_scheduler()
    scheduler.set_timesteps(4)
    latents = torch.randn(1, 4, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    prediction = torch.randn_like(latents)
    first = scheduler.step(prediction, scheduler.timesteps[0], latents, eta=0.0).prev_sample
    second = scheduler.step(prediction, scheduler.timesteps[0], latents, eta=0.0).prev_sample
    assert torch.equal(first, second)
    assert not torch.equal(first, latents)
