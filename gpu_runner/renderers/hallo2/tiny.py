"""Random-weight Hallo2 models, saved in the released models-directory layout: tiny ones, and full-size ones.

The real weights (13 GB) cannot be fetched everywhere the code must be tested, so tests and ``bench --tiny``
build the same classes at toy sizes, save them exactly where and how the release stores its files, and then
run the renderer's real loading and inference code on that directory. Outputs are noise-like images, but
every shape, file format, key name and code path is the production one.

Tiny sizes: UNets with widths (32, 64, 64, 64) at 64×64 pixels (8×8 latents), a 4-level VAE of width 32, a
2-layer wav2vec2 of width 32 with the real convolutional front end, and an ArcFace-shaped ONNX network.
:data:`FULL_SIZE` has the released architectures instead (about 5 GB on disk), for timing the renderer on
a GPU without the real weights (``bench hallo2 --full`` with no models directory).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .net import build_net
from .weights import ARCFACE, NET, UNET_CONFIG, VAE_DIR, WAV2VEC_DIR, read_net_config

TINY_IMAGE_SIZE = 64
TINY_SEED = 20240611
# Written into a random models directory once it is complete, with what it was built from.
RANDOM_MODELS_STAMP = "random-models.json"

# An SD1.5 unet/config.json with only the widths shrunk (the renderer reads the image size from sample_size).
TINY_UNET_CONFIG: dict[str, object] = {
    "_class_name": "UNet2DConditionModel",
    "act_fn": "silu",
    "attention_head_dim": 8,
    "block_out_channels": [32, 64, 64, 64],
    "center_input_sample": False,
    "cross_attention_dim": 768,
    "down_block_types": [
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
    "sample_size": TINY_IMAGE_SIZE // 8,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}

TINY_VAE_CONFIG: dict[str, object] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [32, 32, 32, 32],
    "layers_per_block": 1,
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": TINY_IMAGE_SIZE,
}

# wav2vec2-base's architecture, shrunk: the real convolutional kernels and strides (so 16 kHz audio gives the
# real ~50 feature frames per second), 2 transformer layers of width 32.
TINY_WAV2VEC_CONFIG: dict[str, object] = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "conv_dim": [16] * 7,
    "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
    "conv_stride": [5, 2, 2, 2, 2, 2, 2],
    "conv_bias": False,
    "feat_extract_norm": "group",
    "num_conv_pos_embeddings": 128,
    "num_conv_pos_embedding_groups": 16,
    "do_stable_layer_norm": False,
    "vocab_size": 32,
}

# wav2vec2-base-960h's preprocessor_config.json.
WAV2VEC_PREPROCESSOR: dict[str, object] = {
    "feature_size": 1,
    "sampling_rate": 16000,
    "padding_value": 0.0,
    "do_normalize": True,
    "return_attention_mask": False,
}


# The released configs: SD1.5's unet/config.json and sd-vae-ft-mse's config.json (wav2vec2-base is
# transformers' default Wav2Vec2Config).
FULL_UNET_CONFIG: dict[str, object] = {
    **TINY_UNET_CONFIG,
    "block_out_channels": [320, 640, 1280, 1280],
    "sample_size": 64,
}
FULL_VAE_CONFIG: dict[str, object] = {
    **TINY_VAE_CONFIG,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "sample_size": 256,
}


@dataclass(frozen=True)
class RandomModels:
    """The configs of one random models directory."""

    unet: dict[str, object]
    vae: dict[str, object]
    wav2vec: dict[str, object]


TINY = RandomModels(TINY_UNET_CONFIG, TINY_VAE_CONFIG, TINY_WAV2VEC_CONFIG)
FULL_SIZE = RandomModels(FULL_UNET_CONFIG, FULL_VAE_CONFIG, {})


def randomize(module: nn.Module, generator: torch.Generator) -> None:
    """Re-draw every parameter so that no path is trivially zero (the release zero-initialises some
    projections for training; random weights must still exercise them).

    The draws are made on the generator's device, which should be the module's: at full size, drawing
    2.4 billion values on a GPU takes a moment, on a CPU minutes.
    """
    device = generator.device
    with torch.no_grad():
        for name, param in module.named_parameters():
            if param.dim() >= 2:
                fan_in = math.prod(param.shape[1:])
                param.copy_(torch.randn(param.shape, generator=generator, device=device) / math.sqrt(fan_in))
            elif name.endswith("weight"):  # norm scales
                param.copy_(1 + (torch.rand(param.shape, generator=generator, device=device) - 0.5) / 2)
            else:
                param.copy_(torch.randn(param.shape, generator=generator, device=device) * 0.1)


def _write_json(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def save_net(root: Path, unet_config: dict[str, object], generator: torch.Generator) -> None:
    """``stable-diffusion-v1-5/unet/config.json`` and ``hallo2/net.pth`` (fp16, as released).

    The network is built from the directory's configs exactly as the renderer builds it, so the wav2vec2
    config must already be there.
    """
    _write_json(root / UNET_CONFIG, unet_config)
    with torch.device(generator.device):
        net = build_net(read_net_config(root))
    randomize(net, generator)
    net.to(torch.float16)  # in place, one tensor at a time: no second full copy
    (root / NET).parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), root / NET)


def save_vae(root: Path, config: dict[str, object], generator: torch.Generator) -> None:
    """``sd-vae-ft-mse/``: config.json and diffusion_pytorch_model.safetensors."""
    from diffusers import AutoencoderKL

    with torch.device(generator.device):
        vae = AutoencoderKL(**config)
    randomize(vae, generator)
    vae.save_pretrained(root / VAE_DIR, safe_serialization=True)


def save_wav2vec(root: Path, config: dict[str, object], generator: torch.Generator) -> None:
    """``wav2vec/wav2vec2-base-960h/``: config.json, model.safetensors and preprocessor_config.json."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    with torch.device(generator.device):
        model = Wav2Vec2Model(Wav2Vec2Config(**config))
    randomize(model, generator)
    model.save_pretrained(root / WAV2VEC_DIR, safe_serialization=True)
    Wav2Vec2FeatureExtractor(**WAV2VEC_PREPROCESSOR).save_pretrained(root / WAV2VEC_DIR)


def save_arcface(root: Path, generator: torch.Generator) -> None:
    """``face_analysis/models/glintr100.onnx``: (N, 3, 112, 112) → (N, 512), the shapes insightface routes to
    its ArcFace class; a strided convolution and a linear layer stand in for the ResNet-100 (in both presets:
    it runs once per job, in milliseconds, so its size does not matter to timings)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    conv = (torch.randn(8, 3, 16, 16, generator=generator, device=generator.device) / 28).cpu().numpy()
    linear = (torch.randn(8 * 7 * 7, 512, generator=generator, device=generator.device) / 20).cpu().numpy()
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input.1", "conv_w"], ["features"], strides=[16, 16]),
            helper.make_node("Flatten", ["features"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "linear_w"], ["683"]),
        ],
        "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["None", 512])],
        initializer=[numpy_helper.from_array(conv, "conv_w"), numpy_helper.from_array(linear, "linear_w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by every onnxruntime we support
    path = root / ARCFACE
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def build_random_models_dir(
    root: str | Path,
    models: RandomModels = TINY,
    seed: int = TINY_SEED,
    device: str | torch.device = "cpu",
) -> Path:
    """Write a complete random-weight models directory at ``root`` and return its path.

    The networks are built and drawn on ``device`` (the same seed draws other values on another device).
    """
    path = Path(root)
    generator = torch.Generator(device=torch.device(device)).manual_seed(seed)
    save_wav2vec(path, models.wav2vec, generator)
    save_net(path, models.unet, generator)
    save_vae(path, models.vae, generator)
    save_arcface(path, generator)
    return path


def reuse_or_build_random_models_dir(
    root: str | Path,
    models: RandomModels,
    seed: int = TINY_SEED,
    device: str | torch.device = "cpu",
) -> tuple[Path, bool]:
    """The random models directory at ``root``: reused when an earlier build of the same configs and seed
    finished there, else built afresh. Returns the path and whether it was built.

    Full-size weights take a while to write (about 5 GB), and a benchmark ladder runs several processes on
    the same weights, so the first builds and the others reuse.
    """
    path = Path(root)
    stamp = path / RANDOM_MODELS_STAMP
    wanted = {"unet": models.unet, "vae": models.vae, "wav2vec": models.wav2vec, "seed": seed}
    try:
        if json.loads(stamp.read_text()) == wanted:
            return path, False
    except (OSError, ValueError):
        pass
    stamp.unlink(missing_ok=True)
    build_random_models_dir(path, models, seed, device)
    _write_json(stamp, wanted)  # last: a build cut short leaves no stamp
    return path, True


def build_tiny_models_dir(root: str | Path, seed: int = TINY_SEED) -> Path:
    """A tiny models directory (about 60 MB, a few seconds), for tests and ``bench --tiny``."""
    return build_random_models_dir(root, TINY, seed)
