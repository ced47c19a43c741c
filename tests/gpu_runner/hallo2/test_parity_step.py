"""Our reference pass, guidance preparation and denoising call reproduce the reference implementation's
outputs
on the tiny golden configuration (the goldens README in the shared hallo2 folder gives the tolerances)."""

from __future__ import annotations

import pytest
import torch
from diffusers import DDIMScheduler

from gpu_runner.renderers.hallo2.denoise import (
    BANK_DTYPE,
    Conditioning,
    bank_pairing,
    predict_noise,
    reference_pass,
)

BLOCK_SUFFIX = ".transformer_blocks.0"


@pytest.fixture(scope="module", autouse=True)
def two_threads():
    # The goldens were produced with 2 threads; other counts change the float summation order.
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def inputs(golden_step: dict) -> dict:
    return golden_step["inputs"]


@pytest.fixture(scope="module")
def cond(tiny_net, golden_conditioning) -> Conditioning:
    return golden_conditioning(tiny_net)


@pytest.fixture(scope="module")
def banks(tiny_net, inputs, cond):
    return reference_pass(tiny_net, inputs["ref_image_latents"], cond)


@pytest.fixture(scope="module")
def scheduler(golden_step: dict) -> DDIMScheduler:
    config = golden_step["config"]
    scheduler = DDIMScheduler(**config["scheduler_kwargs"])
    scheduler.set_timesteps(config["inference_steps"])
    return scheduler


def test_conditioning_matches_reference_intermediates(cond, golden_extra):
    expected = golden_extra["intermediate"]
    torch.testing.assert_close(cond.face_tokens, expected["encoder_hidden_states_cfg"], atol=1e-5, rtol=0)
    assert torch.equal(cond.audio_tokens[0], torch.zeros_like(cond.audio_tokens[0]))
    torch.testing.assert_close(cond.audio_tokens[1:], expected["audio_tokens"], atol=1e-4, rtol=0)
    assert torch.equal(cond.face_features[0], torch.zeros_like(cond.face_features[0]))
    # Our face locator runs once per clip; the reference's output is the same for every frame.
    for frame in range(expected["face_locator_out"].shape[2]):
        torch.testing.assert_close(
            cond.face_features[1], expected["face_locator_out"][0, :, frame], atol=1e-5, rtol=0
        )


def test_bank_pairing_matches_the_reference(tiny_net, golden_extra):
    expected = [
        (writer, reader.removesuffix(BLOCK_SUFFIX))
        for writer, reader in golden_extra["writer_reader_pairing"]
    ]
    assert bank_pairing(tiny_net) == expected


def test_banks_match_the_reference_up_to_fp16_rounding(tiny_net, banks, golden_extra):
    readers = tiny_net.denoising_unet.reader_blocks()
    assert len(banks) == len(golden_extra["banks"]) == 16
    for name, expected in golden_extra["banks"].items():
        reader = name.removesuffix(BLOCK_SUFFIX)
        expected = expected.float().reshape(2, 3, *expected.shape[1:])
        bank = banks[reader]
        assert bank.uncond_rows == 1
        # Both sides round to fp16 values that differ by float noise, so a few land one fp16 step apart.
        torch.testing.assert_close(bank.motion, expected[:, 1:], atol=1e-5, rtol=2.0**-9)
        key, _ = readers[reader].block.project_reference(expected[:, 0])
        torch.testing.assert_close(bank.key, key, atol=5e-3, rtol=1e-2)
    assert BANK_DTYPE == torch.float16


def test_first_step_matches_the_reference(tiny_net, inputs, cond, banks, golden_step, scheduler):
    expected = golden_step["outputs"]
    timestep = inputs["timestep"]
    assert int(scheduler.timesteps[0]) == int(timestep) == 999
    pred = predict_noise(tiny_net, inputs["latents"], timestep, cond, banks)
    torch.testing.assert_close(pred.cond, expected["noise_pred_cond"], atol=2e-4, rtol=0)
    torch.testing.assert_close(pred.uncond, expected["noise_pred_uncond"], atol=2e-4, rtol=0)
    guided = pred.guided(inputs["guidance_scale"])
    torch.testing.assert_close(guided, expected["noise_pred_guided"], atol=5e-4, rtol=0)
    latents = scheduler.step(guided, timestep, inputs["latents"], eta=0.0).prev_sample
    torch.testing.assert_close(latents, expected["latents_step1"], atol=5e-4, rtol=0)


def test_second_step_reuses_the_banks(tiny_net, inputs, cond, banks, golden_step, scheduler):
    expected = golden_step["outputs"]
    timestep = inputs["timestep_step1"]
    assert int(scheduler.timesteps[1]) == int(timestep) == 974
    # Start from the reference's own step-1 latents, so this step is checked on its own.
    latents = expected["latents_step1"]
    pred = predict_noise(tiny_net, latents, timestep, cond, banks)
    torch.testing.assert_close(pred.cond, expected["noise_pred_cond_step1"], atol=2e-4, rtol=0)
    torch.testing.assert_close(pred.uncond, expected["noise_pred_uncond_step1"], atol=2e-4, rtol=0)
    guided = pred.guided(inputs["guidance_scale"])
    torch.testing.assert_close(guided, expected["noise_pred_guided_step1"], atol=5e-4, rtol=0)
    latents = scheduler.step(guided, timestep, latents, eta=0.0).prev_sample
    torch.testing.assert_close(latents, expected["latents_step2"], atol=5e-4, rtol=0)


def test_network_runs_the_training_branch_in_eval_mode(tiny_net, inputs, cond, banks, golden_step):
    # The released weights expect the reference's training-mode branch; eval() must not change our output.
    assert not tiny_net.denoising_unet.training
    train_pred = predict_noise(tiny_net.train(), inputs["latents"], inputs["timestep"], cond, banks)
    tiny_net.eval()
    torch.testing.assert_close(train_pred.cond, golden_step["outputs"]["noise_pred_cond"], atol=2e-4, rtol=0)
