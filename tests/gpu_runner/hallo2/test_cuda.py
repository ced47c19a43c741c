"""The Hallo2 renderer on a CUDA GPU, the way production runs it: fp16 weights, fused attention kernels, GPU
memory back to its level after every job, and a real CUDA out-of-memory error failing one job while the
renderer keeps serving.

These need a GPU (`packaging/gpu_host/run.py` runs them on a GPU host, with the fp16 parity test and the
full-size benchmark; so does `make gpu-check`); without one they are skipped, and test_renderer.py covers the
same behaviours on the CPU with a simulated out-of-memory error.
"""

from __future__ import annotations

import math
import time

import pytest
import torch

from gpu_runner.protocol import ErrorCode
from gpu_runner.renderers.base import NullReporter, RenderInput, RenderRefused
from gpu_runner.renderers.hallo2.denoise import predict_noise, prepare_conditioning, reference_pass
from gpu_runner.renderers.hallo2.net import HALLO2_CONFIG, build_net
from gpu_runner.renderers.hallo2.renderer import Hallo2Renderer
from gpu_runner.renderers.hallo2.scheduler import build_scheduler
from gpu_runner.settings import RunnerSettings

from .tiny_models import (  # noqa: F401  (fixtures)
    presenter_image,
    short_speech,
    tiny_models_dir,
)

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU: run packaging/gpu_host/run.py there"
)

FUSED_ATTENTION = (
    "aten::_scaled_dot_product_flash_attention",
    "aten::_scaled_dot_product_efficient_attention",
    "aten::_scaled_dot_product_cudnn_attention",
)
UNFUSED_ATTENTION = "aten::_scaled_dot_product_attention_math"


@pytest.fixture(scope="module")
def gpu_renderer(tiny_models_dir) -> Hallo2Renderer:  # noqa: F811
    renderer = Hallo2Renderer(
        RunnerSettings(
            renderer="hallo2",
            hallo_models_dir=str(tiny_models_dir),
            allow_noncommercial_weights=True,
            device="cuda",
        )
    )
    renderer.load()
    return renderer


@pytest.fixture
def job(presenter_image, short_speech) -> RenderInput:  # noqa: F811
    return RenderInput(image=presenter_image, speech=short_speech, options={"steps": 2})


def render_all(renderer: Hallo2Renderer, job: RenderInput) -> int:
    """Render ``job`` to the end; the number of frames."""
    return sum(1 for _ in renderer.render(job, NullReporter()).frames)


def expected_frames(job: RenderInput) -> int:
    return math.ceil(job.speech.duration_s * 25)


def test_the_networks_and_the_vae_are_resident_on_the_gpu_in_fp16(gpu_renderer):
    pipeline = gpu_renderer._models.pipeline
    assert {(p.device.type, p.dtype) for p in pipeline.net.parameters()} == {("cuda", torch.float16)}
    assert {(p.device.type, p.dtype) for p in pipeline.vae.parameters()} == {("cuda", torch.float16)}
    assert gpu_renderer.describe()["device"].startswith("cuda")


def test_a_job_renders_on_the_gpu_and_leaves_its_memory_where_it_found_it(gpu_renderer, job):
    # The first job creates the math libraries' workspaces, which they keep for the life of the process.
    assert render_all(gpu_renderer, job) == expected_frames(job)
    steady_allocated = torch.cuda.memory_allocated()
    steady_reserved = torch.cuda.memory_reserved()

    for _ in range(2):
        torch.cuda.reset_peak_memory_stats()
        assert render_all(gpu_renderer, job) == expected_frames(job)
        assert torch.cuda.max_memory_allocated() > steady_allocated, (
            "a job must allocate, or this proves nothing"
        )
        assert torch.cuda.memory_allocated() == steady_allocated
        assert torch.cuda.memory_reserved() <= steady_reserved


def fill_the_gpu() -> list[torch.Tensor]:
    """Cap this process at the GPU memory it holds now and occupy every free byte inside it, so that the next
    allocation fails for real. (A cap alone is not enough: tiny models' activations fit in the free gaps of
    memory the process already holds.)"""
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(torch.cuda.memory_reserved() / total)
    ballast, size = [], 1 << 30
    while size >= 512:  # the allocator's granularity
        try:
            ballast.append(torch.empty(size, dtype=torch.uint8, device="cuda"))
        except torch.OutOfMemoryError:
            size //= 2
    return ballast


def test_a_real_cuda_out_of_memory_error_fails_only_that_job(gpu_renderer, job):
    assert render_all(gpu_renderer, job) == expected_frames(job)
    steady_allocated = torch.cuda.memory_allocated()

    stream = gpu_renderer.render(job, NullReporter())  # the face and audio stages run here
    ballast = fill_the_gpu()
    try:
        with pytest.raises(RenderRefused) as caught:
            for _ in stream.frames:
                pass
    finally:
        ballast.clear()
        torch.cuda.set_per_process_memory_fraction(1.0)

    assert caught.value.code == ErrorCode.OUT_OF_MEMORY
    assert "out of memory" in caught.value.message
    assert torch.cuda.memory_allocated() == steady_allocated
    assert render_all(gpu_renderer, job) == expected_frames(job)


def test_a_real_out_of_memory_error_in_the_audio_stage_fails_only_that_job(gpu_renderer, job):
    assert render_all(gpu_renderer, job) == expected_frames(job)
    steady_allocated = torch.cuda.memory_allocated()

    ballast = fill_the_gpu()  # wav2vec2 runs on the GPU: its first allocation fails
    try:
        with pytest.raises(RenderRefused) as caught:
            gpu_renderer.render(job, NullReporter())
    finally:
        ballast.clear()
        torch.cuda.set_per_process_memory_fraction(1.0)

    assert caught.value.code == ErrorCode.OUT_OF_MEMORY
    assert torch.cuda.memory_allocated() == steady_allocated
    assert render_all(gpu_renderer, job) == expected_frames(job)


def test_the_denoising_loop_never_makes_the_host_wait_for_the_gpu(gpu_renderer):
    """Between the clip's set-up and its decoding, the host only queues work: no step copies a value back
    (a CUDA timestep in DDIM's table lookups did, several times per step)."""
    pipeline = gpu_renderer._models.pipeline
    net = pipeline.net
    latent = net.reference_unet.config.sample_size
    generator = torch.Generator().manual_seed(0)
    masks = [torch.rand(1, (latent // 2**level) ** 2, generator=generator) for level in range(4)]
    face_region = torch.zeros(3, pipeline.image_size, pipeline.image_size)
    face_region[:, 16:48, 16:48] = 1
    cond = prepare_conditioning(
        net, torch.randn(512, generator=generator), torch.randn(16, 5, 2, 32, generator=generator),
        face_region, masks, masks, masks,
    )  # fmt: skip
    banks = reference_pass(net, torch.randn(3, 4, latent, latent, generator=generator).cuda(), cond)
    latents = torch.randn(1, 4, 16, latent, latent, generator=generator).cuda()
    scheduler = build_scheduler()
    scheduler.set_timesteps(4)
    timesteps = scheduler.timesteps.cuda()
    torch.cuda.synchronize()

    torch.cuda.set_sync_debug_mode("error")
    try:
        denoised = pipeline.denoise(scheduler, timesteps, latents, cond, banks, guidance_scale=3.5)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert denoised.shape == latents.shape and torch.isfinite(denoised).all()


def test_full_size_attention_runs_on_fused_kernels():
    """At the released sizes (random weights), every attention of a reference pass and a denoising step
    takes a fused SDPA kernel (flash, memory-efficient or cuDNN), never the unfused fallback. Prints the
    step time."""
    with torch.device("cuda"):
        net = build_net(HALLO2_CONFIG)
    net = net.to(torch.float16).eval().requires_grad_(False)
    frames, latent = 16, 64
    generator = torch.Generator().manual_seed(0)
    face_region = torch.zeros(3, 512, 512)
    face_region[:, 128:384, 160:352] = 1
    masks = [torch.rand(1, (latent // 2**level) ** 2, generator=generator) for level in range(4)]
    cond = prepare_conditioning(
        net,
        torch.randn(512, generator=generator),
        torch.randn(frames, 5, 12, 768, generator=generator),
        face_region,
        masks,
        masks,
        masks,
    )
    reference_latents = torch.randn(3, 4, latent, latent, generator=generator).cuda()
    latents = torch.randn(1, 4, frames, latent, latent, generator=generator).cuda()
    timestep = torch.tensor(999, device="cuda")

    banks = reference_pass(net, reference_latents, cond)
    predict_noise(net, latents, timestep, cond, banks)  # warm-up: kernel selection and workspaces
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        banks = reference_pass(net, reference_latents, cond)
        predict_noise(net, latents, timestep, cond, banks)
    calls = {event.key: event.count for event in profile.key_averages()}
    fused = {name: calls[name] for name in FUSED_ATTENTION if name in calls}
    assert fused, f"no fused attention kernel ran; attention ops seen: {[k for k in calls if 'scaled' in k]}"
    assert calls.get(UNFUSED_ATTENTION, 0) == 0, f"{calls[UNFUSED_ATTENTION]} attentions fell back to math"

    torch.cuda.synchronize()
    started = time.perf_counter()
    repeats = 5
    for _ in range(repeats):
        predict_noise(net, latents, timestep, cond, banks)
    torch.cuda.synchronize()
    step_ms = (time.perf_counter() - started) / repeats * 1000
    print(
        f"figure: {torch.cuda.get_device_name()}: full-size denoising step (CFG batch 2 × {frames} frames, "
        f"{latent}×{latent} latents, fp16) {step_ms:.1f} ms; attention kernels {fused}"
    )
