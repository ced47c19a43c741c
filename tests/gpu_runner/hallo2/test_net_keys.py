"""The full-size network has exactly the keys and shapes of the released net.pth, and loads it strictly."""

from __future__ import annotations

import json

import pytest
import torch

from gpu_runner.renderers.hallo2.net import HALLO2_CONFIG, build_net, load_net_state

from .data_files import spec_file


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(spec_file("net_keys.json").read_text())


@pytest.fixture(scope="module")
def meta_net():
    with torch.device("meta"):
        return build_net(HALLO2_CONFIG)


def test_state_dict_keys_and_shapes_equal_the_release(meta_net, manifest):
    ours = {key: list(t.shape) for key, t in meta_net.state_dict().items()}
    released = {key: entry["shape"] for key, entry in manifest["keys"].items()}
    assert len(ours) == manifest["num_keys"] == 2656
    assert sorted(ours.keys() - released.keys()) == []
    assert sorted(released.keys() - ours.keys()) == []
    assert {k: s for k, s in ours.items() if s != released[k]} == {}


def test_positional_encodings_are_state_dict_buffers(meta_net, manifest):
    buffers = {name for name, _ in meta_net.named_buffers() if name.endswith("pos_encoder.pe")}
    assert buffers == set(manifest["buffer_keys"])
    assert len(buffers) == 42


def test_parameter_count_matches_the_release(meta_net, manifest):
    assert sum(p.numel() for p in meta_net.parameters()) == manifest["total_params"]


def test_strict_load_casts_fp16_weights_to_the_model_dtype(manifest):
    with torch.device("meta"):
        net = build_net(HALLO2_CONFIG)
        state = {
            key: torch.empty(entry["shape"], dtype=torch.float16) for key, entry in manifest["keys"].items()
        }
    load_net_state(net, state)
    dtypes = {t.dtype for t in net.state_dict().values()}
    assert dtypes == {torch.float32}


def test_mismatched_weights_name_the_keys(manifest):
    with torch.device("meta"):
        net = build_net(HALLO2_CONFIG)
        state = {key: torch.empty(entry["shape"]) for key, entry in manifest["keys"].items()}
    del state["audioproj.norm.bias"]
    state["audioproj.extra"] = torch.empty(1, device="meta")
    with pytest.raises(
        ValueError, match=r"1 missing .*audioproj\.norm\.bias.*1 unexpected .*audioproj\.extra"
    ):
        load_net_state(net, state)
