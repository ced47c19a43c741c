"""Fixtures for the Hallo2 network tests: the golden files and the tiny network loaded from them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from gpu_runner.renderers.hallo2.denoise import Conditioning, prepare_conditioning
from gpu_runner.renderers.hallo2.net import Net, NetConfig, build_net, load_net_state

from .data_files import golden_path


@pytest.fixture(scope="session")
def golden_step() -> dict:
    return torch.load(golden_path("golden_step.pt"), weights_only=True)


@pytest.fixture(scope="session")
def golden_extra() -> dict:
    return torch.load(golden_path("golden_step_extra.pt"), weights_only=True)


@pytest.fixture(scope="session")
def tiny_net(golden_step: dict) -> Net:
    """The tiny network of the golden, with its dequantised weights, in fp32 eval mode."""
    config = golden_step["config"]
    net = build_net(
        NetConfig.from_reference(
            config["denoising_unet_registered_config"],
            config["unet_additional_kwargs"],
            config["audio_proj_kwargs"],
        )
    )
    state = {
        key: q.float() * 2.0 ** golden_step["state_dict_exp"][key]
        for key, q in golden_step["state_dict_q_int8"].items()
    }
    state.update(golden_step["state_dict_buffers_fp32"])
    load_net_state(net, state)
    return net.eval()


@pytest.fixture(scope="session")
def golden_conditioning(golden_step: dict) -> Callable[[Net], Conditioning]:
    """Our conditioning for the golden step's inputs, on a given network's device and dtype."""
    inputs = golden_step["inputs"]

    def condition(net: Net) -> Conditioning:
        return prepare_conditioning(
            net,
            inputs["face_emb_raw"],
            inputs["audio_windows"],
            inputs["face_region"],
            inputs["full_mask"],
            inputs["face_mask"],
            inputs["lip_mask"],
            tuple(inputs["motion_scale"]),
        )

    return condition
