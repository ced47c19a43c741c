"""The Hallo2 clip loop: clip planning, motion-frame chaining across clips, trimming, options."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import AutoencoderKL

from gpu_runner.protocol import ErrorCode
from gpu_runner.renderers.base import RenderRefused
from gpu_runner.renderers.hallo2.audio_features import AudioFeatures
from gpu_runner.renderers.hallo2.pipeline import (
    ClipPlan,
    Hallo2Pipeline,
    PreparedFace,
    SamplingOptions,
    initial_motion_frames,
    motion_frame_mask,
    to_uint8_frames,
)
from gpu_runner.renderers.hallo2.renderer import load_net
from gpu_runner.renderers.hallo2.weights import VAE_DIR

from .tiny_models import tiny_models_dir  # noqa: F401  (fixture)


def test_plan_splits_frames_into_clips_and_trims_only_the_last():
    plan = ClipPlan(53)  # 2.1 s of audio at 25 fps
    assert (plan.clip_count, plan.padded_frame_count) == (4, 64)
    assert [plan.kept_frames(c) for c in range(4)] == [16, 16, 16, 5]
    assert plan.audio_range(3) == (48, 64)
    with pytest.raises(IndexError):
        plan.kept_frames(4)


def test_plan_of_whole_clips_and_of_a_single_frame():
    assert [ClipPlan(32).kept_frames(c) for c in range(ClipPlan(32).clip_count)] == [16, 16]
    single = ClipPlan(1)
    assert (single.clip_count, single.padded_frame_count, single.kept_frames(0)) == (1, 16, 1)


def test_motion_mask_keeps_the_face_and_drops_a_quarter_elsewhere():
    region = torch.zeros(3, 128, 128)
    region[:, 32:96, 32:96] = 1
    mask = motion_frame_mask(torch.Generator().manual_seed(0), 128, 128, region)
    assert mask.shape == (1, 1, 128, 128)  # one mask for every motion frame and channel
    assert mask[0, 0, 32:96, 32:96].min().item() == 1.0
    outside = torch.cat([mask[0, 0, :32].flatten(), mask[0, 0, 96:].flatten()])
    assert set(outside.unique().tolist()) == {0.0, 1.0}
    assert 0.22 < 1 - outside.mean().item() < 0.28


def test_first_motion_frames_are_copies_of_the_reference():
    reference = torch.rand(3, 8, 8) * 2 - 1
    motion = initial_motion_frames(reference)
    assert motion.shape == (2, 3, 8, 8)
    assert torch.equal(motion[0], reference) and torch.equal(motion[1], reference)


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": 101}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": "40"}, "steps"),
        ({"cfg": 0.5}, "cfg"),
        ({"cfg": True}, "cfg"),
        ({"seed": -1}, "seed"),
        ({"cfg": float("nan")}, "cfg"),
    ],
)
def test_out_of_bounds_options_are_refused_with_their_name(options, name):
    with pytest.raises(RenderRefused) as caught:
        SamplingOptions.from_job(options)
    assert caught.value.code == ErrorCode.BAD_MESSAGE
    assert f"option {name}=" in caught.value.message and " to " in caught.value.message


def test_options_default_to_the_release_settings_and_accept_valid_values():
    assert SamplingOptions.from_job({"voice_speed": 1.2}) == SamplingOptions(
        steps=40, guidance_scale=3.5, seed=42
    )
    assert SamplingOptions.from_job({"steps": 8, "cfg": 2, "seed": 7.0}) == SamplingOptions(8, 2.0, 7)


@pytest.fixture(scope="module")
def tiny_pipeline(tiny_models_dir) -> Hallo2Pipeline:  # noqa: F811
    net = load_net(tiny_models_dir, torch.device("cpu"), torch.float32)
    vae = AutoencoderKL.from_pretrained(tiny_models_dir / VAE_DIR).eval()
    return Hallo2Pipeline(net, vae, torch.device("cpu"), vae_batch=4)


def _face(size: int) -> PreparedFace:
    generator = torch.Generator().manual_seed(1)
    region = torch.zeros(3, size, size)
    region[:, size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 1
    levels = tuple(torch.rand(1, (size // d) ** 2, generator=generator) for d in (8, 16, 32, 64))
    return PreparedFace(
        reference=torch.rand(3, size, size, generator=generator) * 2 - 1,
        face_region=region,
        full_masks=levels,
        face_masks=levels,
        lip_masks=levels,
        embedding=torch.randn(512, generator=generator),
    )


def test_clips_chain_through_their_last_two_frames_and_the_last_clip_is_trimmed(tiny_pipeline):
    pipeline = tiny_pipeline
    size = pipeline.image_size
    face = _face(size)
    plan = ClipPlan(37)  # 16 + 16 + 5
    audio = AudioFeatures(torch.randn(48, 2, 32, generator=torch.Generator().manual_seed(2)), frame_count=37)
    options = SamplingOptions(steps=1, seed=5)
    encoded, decoded = [], []
    encode, decode = pipeline.encode, pipeline.decode

    def spy_encode(pixels):
        encoded.append(pixels.clone())
        return encode(pixels)

    def spy_decode(latents):
        decoded.append(decode(latents))
        return decoded[-1]

    pipeline.encode, pipeline.decode = spy_encode, spy_decode
    try:
        steps = []
        frames = list(pipeline.frames(face, audio, plan, options, on_step=lambda c, s: steps.append((c, s))))
    finally:
        del pipeline.encode, pipeline.decode

    assert len(frames) == 37 and frames[0].shape == (size, size, 3) and frames[0].dtype == np.uint8
    assert steps == [(0, 0), (1, 0), (2, 0)]
    # Every clip, the partial one too, is sampled at full length; only its output is trimmed.
    assert [d.shape[0] for d in decoded] == [16, 16, 16]
    expected = [f for clip, d in enumerate(decoded) for f in to_uint8_frames(d[: plan.kept_frames(clip)])]
    assert all(np.array_equal(a, b) for a, b in zip(frames, expected, strict=True))

    # Encoded: the reference once, then each clip's two masked motion frames, with the job's random stream.
    assert torch.equal(encoded[0], face.reference[None])
    generator = torch.Generator().manual_seed(options.seed)
    previous = [initial_motion_frames(face.reference), decoded[0][-2:], decoded[1][-2:]]
    for clip in range(3):
        mask = motion_frame_mask(generator, size, size, face.face_region)
        torch.randn((1, 4, 16, size // 8, size // 8), generator=generator)  # the clip's initial noise
        assert torch.equal(encoded[clip + 1], previous[clip] * mask)
    assert not torch.equal(decoded[0][-2:], decoded[1][-2:])


def test_same_seed_same_frames_other_seed_other_frames(tiny_pipeline):
    face = _face(tiny_pipeline.image_size)
    audio = AudioFeatures(torch.randn(16, 2, 32, generator=torch.Generator().manual_seed(3)), frame_count=4)

    def render(seed):
        return list(tiny_pipeline.frames(face, audio, ClipPlan(4), SamplingOptions(steps=1, seed=seed)))

    first, again, other = render(1), render(1), render(2)
    assert len(first) == 4
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_audio_features_must_cover_every_clip(tiny_pipeline):
    face = _face(tiny_pipeline.image_size)
    audio = AudioFeatures(torch.zeros(16, 2, 32), frame_count=16)
    with pytest.raises(ValueError, match="audio features cover 16 frames; 2 clips need 32"):
        next(tiny_pipeline.frames(face, audio, ClipPlan(20), SamplingOptions(steps=1)))


def test_the_scheduler_is_given_plain_int_timesteps_and_the_network_tensors(tiny_pipeline, monkeypatch):
    # A CUDA tensor timestep makes DDIM's table lookups and its `prev_timestep >= 0` wait for the GPU.
    from gpu_runner.renderers.hallo2 import pipeline as pipeline_module

    given: list[object] = []
    build = pipeline_module.build_scheduler

    def recording_scheduler():
        scheduler = build()
        step = scheduler.step

        def recording_step(model_output, timestep, sample, **kwargs):
            given.append(timestep)
            return step(model_output, timestep, sample, **kwargs)

        scheduler.step = recording_step
        return scheduler

    network: list[object] = []
    predict = pipeline_module.predict_noise

    def recording_predict(net, latents, timestep, cond, banks):
        network.append(timestep)
        return predict(net, latents, timestep, cond, banks)

    monkeypatch.setattr(pipeline_module, "build_scheduler", recording_scheduler)
    monkeypatch.setattr(pipeline_module, "predict_noise", recording_predict)
    face = _face(tiny_pipeline.image_size)
    audio = AudioFeatures(torch.randn(16, 2, 32, generator=torch.Generator().manual_seed(3)), frame_count=4)
    list(tiny_pipeline.frames(face, audio, ClipPlan(4), SamplingOptions(steps=3)))

    reference = build()
    reference.set_timesteps(3)
    assert given == reference.timesteps.tolist() and all(type(t) is int for t in given)
    assert [int(t) for t in network] == given
    assert all(isinstance(t, torch.Tensor) and t.device == tiny_pipeline.device for t in network)
