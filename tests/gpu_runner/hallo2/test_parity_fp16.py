"""The denoising step in fp16, the dtype production runs in, stays within the goldens README's fp16 bounds.

On CUDA when there is one (the production path); otherwise on the CPU, whose fp16 kernels round the same way
but accumulate differently, so the CPU figure is a check of our dtype handling rather than a GPU measurement.
"""

from __future__ import annotations

import copy

import pytest
import torch

from gpu_runner.renderers.hallo2.denoise import predict_noise, reference_pass

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


@pytest.fixture(scope="module")
def half_net(tiny_net):
    return copy.deepcopy(tiny_net).to(device=DEVICE, dtype=torch.float16).eval()


def test_guided_prediction_in_fp16_is_within_the_fp16_bounds(half_net, golden_step, golden_conditioning):
    inputs, expected = golden_step["inputs"], golden_step["outputs"]["noise_pred_guided"]
    cond = golden_conditioning(half_net)
    banks = reference_pass(half_net, inputs["ref_image_latents"].to(DEVICE), cond)
    latents = inputs["latents"].to(DEVICE)
    guided = predict_noise(half_net, latents, inputs["timestep"].to(DEVICE), cond, banks).guided(3.5)
    assert guided.dtype == torch.float32, "predictions come back in the caller's dtype"

    error = guided.cpu() - expected
    relative_rms = float(error.pow(2).mean().sqrt() / expected.std())
    max_abs = float(error.abs().max())
    print(f"fp16 on {DEVICE.type}: relative RMS {relative_rms:.2e}, max abs {max_abs:.2e}")
    assert relative_rms < 1e-2
    assert max_abs < 0.1
