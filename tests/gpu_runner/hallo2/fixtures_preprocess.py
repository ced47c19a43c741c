"""Test data for the preprocessing tests: golden files, real photos, and tiny models in the released layout.

Plain functions, imported by the test modules that need them (the folder's ``conftest.py`` belongs to the
network tests).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from skimage import data

from .data_files import golden_path


def load_golden_masks() -> dict[str, np.ndarray]:
    with np.load(golden_path("golden_masks.npz"), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def load_golden_wav2vec() -> dict[str, Any]:
    return torch.load(golden_path("golden_wav2vec.pt"), weights_only=True)


def astronaut() -> Image.Image:
    """scikit-image's NASA portrait (public domain): one face, turned slightly."""
    return Image.fromarray(data.astronaut())


def write_wav2vec_dir(golden: dict[str, Any], folder: Path) -> Path:
    """The golden's tiny wav2vec2, saved as the released ``wav2vec2-base-960h`` is.

    That checkpoint is a ``Wav2Vec2ForCTC``: tensors under ``wav2vec2.``, a CTC head we never load, and the
    positional convolution's weight norm under its old names ``weight_g``/``weight_v``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    config = {**golden["wav2vec2_config"], "architectures": ["Wav2Vec2ForCTC"]}
    (folder / "config.json").write_text(json.dumps(config))
    preprocessor = {
        **golden["feature_extractor_config"],
        "feature_extractor_type": "Wav2Vec2FeatureExtractor",
    }
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor))
    aliases = golden["state_dict_key_aliases"]
    tensors = {f"wav2vec2.{aliases.get(k, k)}": v.contiguous() for k, v in golden["state_dict"].items()}
    generator = torch.Generator().manual_seed(0)
    tensors["lm_head.weight"] = torch.randn(config["vocab_size"], config["hidden_size"], generator=generator)
    tensors["lm_head.bias"] = torch.zeros(config["vocab_size"])
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return folder


class TinyArcFace(torch.nn.Module):
    """ArcFace's interface, (1, 3, 112, 112) → (1, 512), in a few thousand weights."""

    def __init__(self) -> None:
        super().__init__()
        self.patches = torch.nn.Conv2d(3, 8, kernel_size=16, stride=16)
        self.embed = torch.nn.Linear(8 * 7 * 7, 512)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(torch.relu(self.patches(x)).flatten(1))


def export_tiny_arcface(path: Path) -> Path:
    """A random-weight ArcFace-shaped ONNX model at ``path`` (as ``face_analysis/models/glintr100.onnx``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = TinyArcFace().eval()
    # The TorchScript exporter: the default one needs onnxscript, which the runner does not otherwise use.
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, 112, 112),),
        str(path),
        input_names=["input"],
        output_names=["embedding"],
        dynamo=False,
    )
    return path
