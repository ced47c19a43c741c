"""The denoising step in fp16, the dtype production runs in, stays within the goldens README's fp16 bounds.

On CUDA when there is one (the production path); otherwise on the CPU, whose fp16 kernels round the same way
but accumulate differently, so the CPU figure is a check of our dtype handling rather than a GPU measurement.

It runs twice: with cuBLAS allowed to reduce fp16 matrix products in fp16 (PyTorch's default, what production
runs) and with fp32 reductions. Should the first miss the bound narrowly and the second pass, the margin went
to cuBLAS's reductions, not to our code. (On the CPU the switch changes nothing.)
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


@pytest.fixture(params=[True, False], ids=["fp16-reductions", "fp32-reductions"])
def matmul_reductions(request):
    matmul = torch.backends.cuda.matmul
    previous = matmul.allow_fp16_reduced_precision_reduction
    matmul.allow_fp16_reduced_precision_reduction = request.param
    yield "fp16" if request.param else "fp32"
    matmul.allow_fp16_reduced_precision_reduction = previous


def test_guided_prediction_in_fp16_is_within_the_fp16_bounds(
    half_net, golden_step, golden_conditioning, matmul_reductions
):
    inputs, expected = golden_step["inputs"], golden_step["outputs"]["noise_pred_guided"]
    cond = golden_conditioning(half_net)
    banks = reference_pass(half_net, inputs["ref_image_latents"].to(DEVICE), cond)
    latents = inputs["latents"].to(DEVICE)
    guided = predict_noise(half_net, latents, inputs["timestep"].to(DEVICE), cond, banks).guided(3.5)
    assert guided.dtype == torch.float32, "predictions come back in the caller's dtype"

    error = guided.cpu() - expected
    relative_rms = float(error.pow(2).mean().sqrt() / expected.std())
    max_abs = float(error.abs().max())
    print(
        f"figure: fp16 on {DEVICE.type} with {matmul_reductions} matmul reductions: relative RMS "
        f"{relative_rms:.2e} (bound 1e-2), max abs {max_abs:.2e} (bound 0.1)"
    )
    assert relative_rms < 1e-2
    assert max_abs < 0.1
