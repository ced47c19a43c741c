"""The Hallo2 network container and its configuration.

``Net``'s attribute names are the key prefixes of the released ``net.pth`` (``reference_unet.``,
``denoising_unet.``, ``face_locator.``, ``imageproj.``, ``audioproj.``), so the file loads strictly into it::

    net = build_net(HALLO2_CONFIG)                      # or under ``with torch.device("meta"):``
    load_net_state(net, torch.load("net.pth", weights_only=True))
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from diffusers import UNet2DConditionModel
from torch import nn

from .models.audio_proj import AudioProjection
from .models.denoising_unet import DenoisingUNet
from .models.face_locator import FaceLocator
from .models.image_proj import ImageProjection
from .models.reference_unet import build_reference_unet
from .models.unet_blocks import BlockSettings

# The latent size for a UNet config that names none: the reference renders 512 px images
# (configs/inference/long.yaml), which the VAE encodes to 64 latents.
REFERENCE_SAMPLE_SIZE = 64


@dataclass(frozen=True)
class UNetConfig:
    """The SD1.5 UNet values both UNets share (from ``stable-diffusion-v1-5/unet/config.json``)."""

    block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280)
    layers_per_block: int = 2
    heads: int = 8  # "attention_head_dim" in the SD1.5 config, which diffusers reads as the head count
    cross_attention_dim: int = 768
    norm_num_groups: int = 32
    norm_eps: float = 1e-5
    in_channels: int = 4
    out_channels: int = 4
    sample_size: int = REFERENCE_SAMPLE_SIZE

    @classmethod
    def from_diffusers(cls, config: Mapping[str, Any]) -> UNetConfig:
        """Read a diffusers ``UNet2DConditionModel`` config (``unet/config.json``, or a model's registered
        config).

        A key the config leaves out takes diffusers' own default, as it does when the reference loads the same
        file; a ``sample_size`` of none becomes :data:`REFERENCE_SAMPLE_SIZE`.

        Raises:
            ValueError: for a setting this implementation does not support, naming it and the supported value.
        """
        settings = {**_diffusers_unet_defaults(), **config}
        head_dim = settings["attention_head_dim"]
        if not isinstance(head_dim, int):
            raise ValueError(f"attention_head_dim must be one int (SD1.5 style), got {head_dim!r}")
        supported = {"use_linear_projection": False, "num_attention_heads": None}
        for name, expected in supported.items():
            if settings[name] != expected:
                raise ValueError(
                    f"unsupported UNet setting {name}={settings[name]!r}; only {expected!r} is implemented"
                )
        return cls(
            block_out_channels=tuple(settings["block_out_channels"]),
            layers_per_block=settings["layers_per_block"],
            heads=head_dim,
            cross_attention_dim=settings["cross_attention_dim"],
            norm_num_groups=settings["norm_num_groups"],
            norm_eps=settings["norm_eps"],
            in_channels=settings["in_channels"],
            out_channels=settings["out_channels"],
            sample_size=settings["sample_size"] or REFERENCE_SAMPLE_SIZE,
        )


@functools.cache
def _diffusers_unet_defaults() -> dict[str, Any]:
    """``UNet2DConditionModel``'s constructor defaults: what diffusers gives a key its config leaves out."""
    parameters = inspect.signature(UNet2DConditionModel.__init__).parameters
    return {name: p.default for name, p in parameters.items() if p.default is not inspect.Parameter.empty}


@dataclass(frozen=True)
class NetConfig:
    """Everything that fixes the shapes of the Hallo2 networks.

    Defaults are the released model: SD1.5's UNet plus ``configs/inference/long.yaml``'s
    ``unet_additional_kwargs`` (motion modules of 8 heads with positions up to 32 frames, audio attention
    width 768) and the projection models of ``scripts/inference_long.py``.
    """

    unet: UNetConfig = field(default_factory=UNetConfig)
    motion_heads: int = 8
    motion_max_len: int = 32
    audio_attention_dim: int = 768
    face_locator_channels: tuple[int, ...] = (16, 32, 64, 128)
    face_embedding_dim: int = 512
    face_tokens: int = 4
    audio_window: int = 5
    audio_layers: int = 12
    audio_channels: int = 768
    audio_hidden_dim: int = 512
    audio_tokens: int = 32

    @classmethod
    def from_reference(
        cls,
        unet_config: Mapping[str, Any],
        unet_additional_kwargs: Mapping[str, Any],
        audio_proj_kwargs: Mapping[str, Any] | None = None,
    ) -> NetConfig:
        """Read the reference implementation's configs (a diffusers UNet config dict, read by
        :meth:`UNetConfig.from_diffusers`; long.yaml's ``unet_additional_kwargs``; optionally the
        ``AudioProjModel`` arguments).

        Raises:
            ValueError: for a setting this implementation does not support, naming it and the supported value.
        """
        unet = UNetConfig.from_diffusers(unet_config)
        motion = unet_additional_kwargs["motion_module_kwargs"]
        supported = {
            "motion_module_type": (unet_additional_kwargs.get("motion_module_type"), "Vanilla"),
            "attention_block_types": (
                list(motion["attention_block_types"]),
                ["Temporal_Self", "Temporal_Self"],
            ),
            "num_transformer_block": (motion["num_transformer_block"], 1),
            "use_audio_module": (unet_additional_kwargs.get("use_audio_module"), True),
            "motion_module_mid_block": (unet_additional_kwargs.get("motion_module_mid_block"), True),
            "unet_use_temporal_attention": (
                bool(unet_additional_kwargs.get("unet_use_temporal_attention")),
                False,
            ),
        }
        for name, (value, expected) in supported.items():
            if value != expected:
                raise ValueError(
                    f"unsupported Hallo2 setting {name}={value!r}; only {expected!r} is implemented"
                )
        audio = dict(audio_proj_kwargs or {})
        return cls(
            unet=unet,
            motion_heads=motion["num_attention_heads"],
            motion_max_len=motion["temporal_position_encoding_max_len"],
            audio_attention_dim=unet_additional_kwargs["audio_attention_dim"],
            audio_window=audio.get("seq_len", 5),
            audio_layers=audio.get("blocks", 12),
            audio_channels=audio.get("channels", 768),
            audio_hidden_dim=audio.get("intermediate_dim", 512),
            audio_tokens=audio.get("context_tokens", 32),
        )


#: The released Hallo2 model.
HALLO2_CONFIG = NetConfig()


class Net(nn.Module):
    """All Hallo2 networks. Attribute names are the ``net.pth`` key prefixes.

    Attributes:
        reference_unet: encodes the reference image and motion frames once per clip (``reference_pass``).
        denoising_unet: the UNet3D called on every denoising step.
        face_locator: face-region mask → features added after the denoising UNet's conv_in.
        imageproj: face embedding (512) → 4 identity tokens.
        audioproj: wav2vec2 windows → 32 audio tokens per frame.
    """

    def __init__(
        self,
        reference_unet: UNet2DConditionModel,
        denoising_unet: DenoisingUNet,
        face_locator: FaceLocator,
        imageproj: ImageProjection,
        audioproj: AudioProjection,
    ) -> None:
        super().__init__()
        self.reference_unet = reference_unet
        self.denoising_unet = denoising_unet
        self.face_locator = face_locator
        self.imageproj = imageproj
        self.audioproj = audioproj

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the weights (all networks share it)."""
        return self.denoising_unet.conv_in.weight.dtype


def build_net(config: NetConfig = HALLO2_CONFIG) -> Net:
    """Build the networks with uninitialised-but-allocated weights (use a meta device context to allocate
    none)."""
    u = config.unet
    settings = BlockSettings(
        temb_channels=u.block_out_channels[0] * 4,
        heads=u.heads,
        cross_attention_dim=u.cross_attention_dim,
        audio_dim=config.audio_attention_dim,
        norm_groups=u.norm_num_groups,
        norm_eps=u.norm_eps,
        motion_heads=config.motion_heads,
        motion_max_len=config.motion_max_len,
    )
    return Net(
        reference_unet=build_reference_unet(
            u.block_out_channels,
            u.layers_per_block,
            u.heads,
            u.cross_attention_dim,
            u.norm_num_groups,
            u.norm_eps,
            u.in_channels,
            u.sample_size,
        ),
        denoising_unet=DenoisingUNet(
            u.block_out_channels, u.layers_per_block, u.in_channels, u.out_channels, settings
        ),
        face_locator=FaceLocator(u.block_out_channels[0], config.face_locator_channels),
        imageproj=ImageProjection(config.face_embedding_dim, u.cross_attention_dim, config.face_tokens),
        audioproj=AudioProjection(
            config.audio_window,
            config.audio_layers,
            config.audio_channels,
            config.audio_hidden_dim,
            u.cross_attention_dim,
            config.audio_tokens,
        ),
    )


def load_net_state(net: Net, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Load ``state_dict`` strictly, casting every tensor to the dtype of the tensor it replaces.

    Works on a meta-device ``net`` too (the tensors are then assigned, not copied).

    Raises:
        ValueError: if keys are missing or unexpected, listing a few of each.
    """
    own = net.state_dict()
    missing = sorted(own.keys() - state_dict.keys())
    unexpected = sorted(state_dict.keys() - own.keys())
    if missing or unexpected:
        raise ValueError(
            f"Hallo2 weights do not match the network: {len(missing)} missing (e.g. {missing[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]}); check that the file is hallo2/net.pth "
            "and that the NetConfig matches it"
        )
    on_meta = next(iter(own.values())).is_meta
    cast = {key: value.to(own[key].dtype) for key, value in state_dict.items()}
    net.load_state_dict(cast, strict=True, assign=on_meta)
