"""The denoising UNet's blocks. Tensors are (rows·frames, C, H, W): every layer except the motion modules
works frame by frame, so the frames ride along in the batch dimension.

Block behaviour follows the released weights, which were trained and evaluated with the reference's
training-mode, gradient-checkpointing branch (its inference script never calls ``eval()`` on the denoising
UNet). We reproduce that branch on purpose, whatever ``self.training`` says:

- in the cross-attention blocks each layer runs resnet → spatial attention → audio module (with
  ``motion_scale``) → motion module on ``[motion frames ‖ clip frames]``;
- the plain ``DownBlock3D``/``UpBlock3D`` run their resnets only: their motion modules are loaded, never run;
- the mid block runs resnet, then attention → audio → motion → resnet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from diffusers.models.downsampling import Downsample2D
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.upsampling import Upsample2D
from torch import nn

from .audio_module import AudioModule, RegionMasks
from .motion_module import MotionModule
from .reference_bank import ReferenceBank
from .spatial_transformer import SpatialTransformer


@dataclass(frozen=True)
class BlockSettings:
    """Widths and sizes shared by all blocks of one UNet."""

    temb_channels: int
    heads: int
    cross_attention_dim: int
    audio_dim: int
    norm_groups: int
    norm_eps: float
    motion_heads: int
    motion_max_len: int


@dataclass(frozen=True)
class StepContext:
    """Everything the blocks need besides the hidden states, for one denoising call.

    Attributes:
        frames: frames per batch row.
        temb: time embedding per frame (rows·frames, temb_channels).
        face_tokens: identity tokens per row (rows, T, C).
        audio_tokens: audio tokens per frame (rows·frames, 32, C_audio).
        masks: soft region masks per level (0 = latent resolution).
        motion_scale: weights of the full-frame, face and lip audio branches.
        banks: reference banks by spatial-transformer module path.
    """

    frames: int
    temb: torch.Tensor
    face_tokens: torch.Tensor
    audio_tokens: torch.Tensor
    masks: list[RegionMasks]
    motion_scale: tuple[float, float, float]
    banks: Mapping[str, ReferenceBank]


def _resnet(in_channels: int, out_channels: int, s: BlockSettings) -> ResnetBlock2D:
    return ResnetBlock2D(
        in_channels=in_channels,
        out_channels=out_channels,
        temb_channels=s.temb_channels,
        groups=s.norm_groups,
        eps=s.norm_eps,
    )


class AttentionLayers(nn.Module):
    """The resnets, spatial transformers, audio modules and motion modules of a cross-attention block."""

    def _init_layers(self, channels: list[tuple[int, int, int]], s: BlockSettings, mask_level: int) -> None:
        """``channels``: per layer (resnet input, output, audio inner width)."""
        self.resnets = nn.ModuleList([_resnet(i, o, s) for i, o, _ in channels])
        self.attentions = nn.ModuleList(
            [SpatialTransformer(o, s.heads, s.cross_attention_dim, s.norm_groups) for _, o, _ in channels]
        )
        self.audio_modules = nn.ModuleList(
            [AudioModule(o, a, s.heads, s.audio_dim, s.norm_groups, mask_level) for _, o, a in channels]
        )
        self.motion_modules = nn.ModuleList(
            [MotionModule(o, s.motion_heads, s.motion_max_len, s.norm_groups) for _, o, _ in channels]
        )

    def _layer(self, index: int, hidden_states: torch.Tensor, ctx: StepContext) -> torch.Tensor:
        """Attention → audio → motion for layer ``index`` (the resnet is run by the caller)."""
        attention = self.attentions[index]
        bank = ctx.banks[attention.bank_name]
        hidden_states = attention(hidden_states, ctx.face_tokens, bank, ctx.frames)
        hidden_states = self.audio_modules[index](
            hidden_states, ctx.audio_tokens, ctx.masks, ctx.motion_scale
        )
        return self.motion_modules[index](hidden_states, bank.motion, ctx.frames)


def _upsamplers(channels: int) -> nn.ModuleList:
    """The conv upsampler that ends an up block (a list, for the released weights' key names)."""
    return nn.ModuleList([Upsample2D(channels, use_conv=True, out_channels=channels)])


def _skipped_motion_modules(channels: int, layers: int, s: BlockSettings) -> nn.ModuleList:
    """Motion modules of a block without attention: loaded with the weights, never run (module docstring)."""
    return nn.ModuleList(
        [MotionModule(channels, s.motion_heads, s.motion_max_len, s.norm_groups) for _ in range(layers)]
    )


def _downsamplers(channels: int) -> nn.ModuleList:
    """The strided conv that ends a down block (a list, for the released weights' key names)."""
    return nn.ModuleList([Downsample2D(channels, use_conv=True, out_channels=channels, padding=1, name="op")])


class CrossAttnDownBlock3D(AttentionLayers):
    """Down block with attention: per layer resnet → attention → audio → motion; then a strided conv."""

    def __init__(
        self, in_channels: int, out_channels: int, layers: int, depth: int, downsample: bool, s: BlockSettings
    ):
        super().__init__()
        # The audio module's inner width follows the layer's input width (a quirk the weights carry).
        widths = [(in_channels if i == 0 else out_channels, out_channels) for i in range(layers)]
        self._init_layers([(i, o, i) for i, o in widths], s, mask_level=depth)
        self.downsamplers = _downsamplers(out_channels) if downsample else None

    def forward(
        self, hidden_states: torch.Tensor, ctx: StepContext
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Returns the output and the skip activations for the up path."""
        skips = []
        for index, resnet in enumerate(self.resnets):
            hidden_states = self._layer(index, resnet(hidden_states, ctx.temb), ctx)
            skips.append(hidden_states)
        if self.downsamplers is not None:
            hidden_states = self.downsamplers[0](hidden_states)
            skips.append(hidden_states)
        return hidden_states, skips


class DownBlock3D(nn.Module):
    """Down block without attention. Its motion modules are loaded but skipped (see the module docstring)."""

    def __init__(self, in_channels: int, out_channels: int, layers: int, downsample: bool, s: BlockSettings):
        super().__init__()
        self.resnets = nn.ModuleList(
            [_resnet(in_channels if i == 0 else out_channels, out_channels, s) for i in range(layers)]
        )
        self.motion_modules = _skipped_motion_modules(out_channels, layers, s)
        self.downsamplers = _downsamplers(out_channels) if downsample else None

    def forward(
        self, hidden_states: torch.Tensor, ctx: StepContext
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Returns the output and the skip activations for the up path."""
        skips = []
        for resnet in self.resnets:
            hidden_states = resnet(hidden_states, ctx.temb)
            skips.append(hidden_states)
        if self.downsamplers is not None:
            hidden_states = self.downsamplers[0](hidden_states)
            skips.append(hidden_states)
        return hidden_states, skips


class MidBlock3D(AttentionLayers):
    """Resnet, then attention → audio → motion → resnet."""

    def __init__(self, channels: int, s: BlockSettings, depth: int = 3):
        super().__init__()
        self._init_layers([(channels, channels, channels)], s, mask_level=depth)
        self.resnets.insert(0, _resnet(channels, channels, s))

    def forward(self, hidden_states: torch.Tensor, ctx: StepContext) -> torch.Tensor:
        """Same shape in and out."""
        hidden_states = self.resnets[0](hidden_states, ctx.temb)
        for index, resnet in enumerate(self.resnets[1:]):
            hidden_states = resnet(self._layer(index, hidden_states, ctx), ctx.temb)
        return hidden_states


def _up_resnet_widths(
    in_channels: int, prev_channels: int, out_channels: int, layers: int
) -> list[tuple[int, int]]:
    """(resnet input incl. the skip, output) per layer of an up block."""
    widths = []
    for i in range(layers):
        skip = in_channels if i == layers - 1 else out_channels
        widths.append(((prev_channels if i == 0 else out_channels) + skip, out_channels))
    return widths


class CrossAttnUpBlock3D(AttentionLayers):
    """Up block with attention: per layer concat skip → resnet → attention → audio → motion; then upsample."""

    def __init__(
        self,
        in_channels: int,
        prev_channels: int,
        out_channels: int,
        layers: int,
        depth: int,
        upsample: bool,
        s: BlockSettings,
    ):
        super().__init__()
        widths = _up_resnet_widths(in_channels, prev_channels, out_channels, layers)
        # The audio module's inner width is the block's skip width ``in_channels`` (a quirk the weights
        # carry).
        self._init_layers([(i, o, in_channels) for i, o in widths], s, mask_level=depth)
        self.upsamplers = _upsamplers(out_channels) if upsample else None

    def forward(
        self,
        hidden_states: torch.Tensor,
        skips: list[torch.Tensor],
        ctx: StepContext,
        size: tuple[int, int] | None,
    ) -> torch.Tensor:
        """``skips`` are consumed from the end; ``size`` is the spatial size to upsample to."""
        for index, resnet in enumerate(self.resnets):
            hidden_states = torch.cat([hidden_states, skips.pop()], dim=1)
            hidden_states = self._layer(index, resnet(hidden_states, ctx.temb), ctx)
        if self.upsamplers is not None:
            hidden_states = self.upsamplers[0](hidden_states, output_size=size)
        return hidden_states


class UpBlock3D(nn.Module):
    """Up block without attention. Its motion modules are loaded but skipped (see the module docstring)."""

    def __init__(
        self,
        in_channels: int,
        prev_channels: int,
        out_channels: int,
        layers: int,
        upsample: bool,
        s: BlockSettings,
    ):
        super().__init__()
        widths = _up_resnet_widths(in_channels, prev_channels, out_channels, layers)
        self.resnets = nn.ModuleList([_resnet(i, o, s) for i, o in widths])
        self.motion_modules = _skipped_motion_modules(out_channels, layers, s)
        self.upsamplers = _upsamplers(out_channels) if upsample else None

    def forward(
        self,
        hidden_states: torch.Tensor,
        skips: list[torch.Tensor],
        ctx: StepContext,
        size: tuple[int, int] | None,
    ) -> torch.Tensor:
        """``skips`` are consumed from the end; ``size`` is the spatial size to upsample to."""
        for resnet in self.resnets:
            hidden_states = resnet(torch.cat([hidden_states, skips.pop()], dim=1), ctx.temb)
        if self.upsamplers is not None:
            hidden_states = self.upsamplers[0](hidden_states, output_size=size)
        return hidden_states
