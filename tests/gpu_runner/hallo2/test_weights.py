"""The Hallo2 models directory: layout, the boot check, fetching and verifying, licences."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path

import httpx
import pytest
import torch

from gpu_runner.renderers.hallo2 import weights
from gpu_runner.renderers.hallo2.net import UNetConfig
from gpu_runner.renderers.hallo2.tiny import (
    FULL_UNET_CONFIG,
    RANDOM_MODELS_STAMP,
    TINY,
    reuse_or_build_random_models_dir,
)
from gpu_runner.renderers.hallo2.weights import (
    ARCFACE,
    MODEL_FILES,
    NET,
    UNET_CONFIG,
    WAV2VEC_DIR,
    ModelsCorrupt,
    ModelsMissing,
    RemoteFile,
    cached_sha256,
    check_models_dir,
    compare_state_shapes,
    expected_net_shapes,
    fetch_models,
    licence_table_markdown,
    read_net_config,
    verify_net_checkpoint,
)

from .tiny_models import tiny_models_dir  # noqa: F401  (fixture)


def _fill(root: Path, paths) -> None:
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x" * 8)


def test_layout_is_the_released_repository_layout():
    paths = {f.path for f in MODEL_FILES}
    assert paths == {
        "hallo2/net.pth",
        "stable-diffusion-v1-5/unet/config.json",
        "sd-vae-ft-mse/config.json",
        "sd-vae-ft-mse/diffusion_pytorch_model.safetensors",
        "wav2vec/wav2vec2-base-960h/config.json",
        "wav2vec/wav2vec2-base-960h/model.safetensors",
        "wav2vec/wav2vec2-base-960h/preprocessor_config.json",
        "face_analysis/models/glintr100.onnx",
    }
    # Super-resolution, separator and motion-module weights are never loaded, so never fetched.
    assert not any("net_g" in p or "motion_module" in p or "CodeFormer" in p for p in paths)


def test_missing_files_are_named_together_with_the_fetch_command(tmp_path):
    _fill(tmp_path, [NET])
    (tmp_path / "sd-vae-ft-mse").mkdir()
    (tmp_path / "sd-vae-ft-mse/config.json").write_bytes(b"")  # an interrupted download counts as missing
    with pytest.raises(ModelsMissing) as caught:
        check_models_dir(tmp_path, allow_noncommercial=True)
    message = str(caught.value)
    expected_missing = [f.path for f in MODEL_FILES if f.path != NET]
    assert caught.value.missing == expected_missing
    for path in expected_missing:
        assert str(tmp_path / path) in message
    assert str(tmp_path / NET) not in message
    assert f"python -m gpu_runner fetch-models --dir {tmp_path}" in message


def test_complete_directory_passes(tmp_path):
    _fill(tmp_path, [f.path for f in MODEL_FILES])
    assert check_models_dir(tmp_path, allow_noncommercial=True) == tmp_path


def test_noncommercial_weights_are_not_required_when_refused(tmp_path):
    _fill(tmp_path, [f.path for f in MODEL_FILES if f.path != ARCFACE])
    assert check_models_dir(tmp_path, allow_noncommercial=False) == tmp_path
    with pytest.raises(ModelsMissing) as caught:
        check_models_dir(tmp_path, allow_noncommercial=True)
    assert caught.value.missing == [ARCFACE]


def test_licence_table_flags_noncommercial_files():
    table = licence_table_markdown()
    lines = {line.split("|")[1].strip(" `"): line for line in table.splitlines()[2:]}
    assert "**no**" in lines[ARCFACE]
    assert "GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS" in lines[ARCFACE]
    assert "**no**" in lines["hallo2/net_g.pth"] and "S-Lab" in lines["hallo2/net_g.pth"]
    assert "**no**" in lines["CodeFormer/"]
    assert "| yes |" in lines[NET]
    assert "Apache-2.0" in lines["wav2vec/wav2vec2-base-960h/model.safetensors"]


def test_sha256_is_cached_beside_the_file_and_invalidated_by_a_change(tmp_path):
    path = tmp_path / "net.pth"
    path.write_bytes(b"first")
    assert cached_sha256(path) == hashlib.sha256(b"first").hexdigest()
    assert (tmp_path / ".net.pth.sha256.json").is_file()
    path.write_bytes(b"second!")
    assert cached_sha256(path) == hashlib.sha256(b"second!").hexdigest()


def test_net_checkpoint_key_and_shape_check(tmp_path):
    path = tmp_path / "net.pth"
    torch.save({"a.weight": torch.zeros(2, 3), "b.bias": torch.zeros(4)}, path)
    verify_net_checkpoint(path, {"a.weight": (2, 3), "b.bias": (4,)})
    with pytest.raises(ModelsCorrupt) as caught:
        verify_net_checkpoint(path, {"a.weight": (3, 2), "c.weight": (1,)})
    message = str(caught.value)
    assert "1 missing tensor(s)" in message and "c.weight" in message
    assert "1 unexpected tensor(s)" in message and "b.bias" in message
    assert "a.weight: (2, 3) != (3, 2)" in message


def shapes_w(root: Path) -> dict[str, tuple[int, ...]]:
    return {"w": (2, 2)}


class FakeHub:
    """Stands in for hf_hub_download: writes known bytes where the hub client would."""

    def __init__(self, corrupt: str | None = None) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.corrupt = corrupt
        self.content = {f.path: f.path.encode() * 3 for f in MODEL_FILES}
        self.content[NET] = checkpoint_bytes()

    def remote(self) -> dict[str, RemoteFile]:
        return {
            path: RemoteFile(path, len(data), hashlib.sha256(data).hexdigest() if path == NET else None)
            for path, data in self.content.items()
        }

    def __call__(self, repo: str, filename: str, *, revision: str, local_dir: Path) -> str:
        self.calls.append((repo, filename, revision))
        target = Path(local_dir) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self.content[filename]
        target.write_bytes(data[:-1] if filename == self.corrupt else data)
        return str(target)


def checkpoint_bytes() -> bytes:
    stream = io.BytesIO()
    torch.save({"w": torch.ones(2, 2)}, stream)
    return stream.getvalue()


def test_fetch_downloads_each_listed_file_then_verifies(tmp_path):
    hub = FakeHub()
    fetch_models(
        tmp_path, download=hub, remote=hub.remote(), expected_shapes=lambda root: {"w": (2, 2)}, log=str
    )
    assert [call[1] for call in hub.calls] == [f.path for f in MODEL_FILES]
    assert {call[0] for call in hub.calls} == {weights.HF_REPO}
    check_models_dir(tmp_path, allow_noncommercial=True)


def test_fetch_reports_a_truncated_download(tmp_path):
    hub = FakeHub(corrupt="sd-vae-ft-mse/diffusion_pytorch_model.safetensors")
    with pytest.raises(ModelsCorrupt, match="diffusion_pytorch_model.safetensors: .* bytes, the hub has"):
        fetch_models(
            tmp_path, download=hub, remote=hub.remote(), expected_shapes=lambda root: {"w": (2, 2)}, log=str
        )


def test_fetch_rejects_a_net_checkpoint_of_another_network(tmp_path):
    hub = FakeHub()
    with pytest.raises(ModelsCorrupt, match="does not match the Hallo2 network"):
        fetch_models(
            tmp_path, download=hub, remote=hub.remote(), expected_shapes=lambda root: {"v": (2, 2)}, log=str
        )


def test_tiny_release_layout_passes_the_real_net_key_check(tiny_models_dir):  # noqa: F811
    verify_net_checkpoint(tiny_models_dir / NET, expected_net_shapes(tiny_models_dir))
    config = read_net_config(tiny_models_dir)
    assert (config.audio_layers, config.audio_channels) == (2, 32)  # read from the wav2vec2 config
    assert config.unet.block_out_channels == (32, 64, 64, 64)


def test_the_unet_config_is_read_as_diffusers_reads_it():
    assert UNetConfig.from_diffusers(FULL_UNET_CONFIG) == UNetConfig()  # SD1.5's config: our defaults
    # A key left out takes UNet2DConditionModel's own default; no sample size means the reference's 512 px.
    sparse = UNetConfig.from_diffusers({"block_out_channels": [32, 64, 64, 64], "sample_size": None})
    assert sparse.block_out_channels == (32, 64, 64, 64)
    assert (sparse.cross_attention_dim, sparse.heads, sparse.sample_size) == (1280, 8, 64)
    with pytest.raises(ValueError, match="use_linear_projection=True; only False"):
        UNetConfig.from_diffusers({**FULL_UNET_CONFIG, "use_linear_projection": True})


def test_a_unet_config_of_another_architecture_is_refused_naming_its_file(tmp_path):
    (tmp_path / UNET_CONFIG).parent.mkdir(parents=True)
    (tmp_path / UNET_CONFIG).write_text(
        json.dumps({**FULL_UNET_CONFIG, "attention_head_dim": [5, 10, 20, 20]})
    )
    (tmp_path / WAV2VEC_DIR).mkdir(parents=True)
    (tmp_path / WAV2VEC_DIR / "config.json").write_text(
        json.dumps({"num_hidden_layers": 2, "hidden_size": 32})
    )
    with pytest.raises(ModelsCorrupt, match=r"unet/config.json: attention_head_dim must be one int"):
        read_net_config(tmp_path)


def test_fetch_command_explains_an_unreachable_hub(tmp_path, monkeypatch, capsys):
    def unreachable(paths, repo=weights.HF_REPO, revision=weights.HF_REVISION):
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setattr(weights, "hub_file_info", unreachable)
    status = weights.fetch_models_main(argparse.Namespace(dir=str(tmp_path)))
    assert status == 1
    error = capsys.readouterr().err
    assert "cannot fetch fudan-generative-ai/hallo2" in error and str(tmp_path) in error


def test_full_size_random_models_have_exactly_the_released_net_keys(tmp_path):
    from transformers import Wav2Vec2Config

    from gpu_runner.renderers.hallo2.tiny import FULL_SIZE
    from gpu_runner.renderers.hallo2.weights import UNET_CONFIG, WAV2VEC_DIR

    from .data_files import spec_file

    (tmp_path / UNET_CONFIG).parent.mkdir(parents=True)
    (tmp_path / UNET_CONFIG).write_text(json.dumps(FULL_SIZE.unet))
    Wav2Vec2Config(**FULL_SIZE.wav2vec).save_pretrained(tmp_path / WAV2VEC_DIR)
    manifest = json.loads(spec_file("net_keys.json").read_text())["keys"]
    released = {key: tuple(entry["shape"]) for key, entry in manifest.items()}
    assert compare_state_shapes(expected_net_shapes(tmp_path), released) == []


def test_random_models_are_reused_only_when_a_build_of_the_same_configs_and_seed_finished(tmp_path):
    path, built = reuse_or_build_random_models_dir(tmp_path, TINY, seed=1)
    assert built and check_models_dir(path, allow_noncommercial=True) == tmp_path
    written = (tmp_path / NET).stat().st_mtime_ns

    assert reuse_or_build_random_models_dir(tmp_path, TINY, seed=1) == (tmp_path, False)
    assert (tmp_path / NET).stat().st_mtime_ns == written

    (tmp_path / RANDOM_MODELS_STAMP).unlink()  # as a build cut short leaves it
    assert reuse_or_build_random_models_dir(tmp_path, TINY, seed=1) == (tmp_path, True)
    assert reuse_or_build_random_models_dir(tmp_path, TINY, seed=2) == (tmp_path, True)
    assert (tmp_path / NET).stat().st_mtime_ns != written
