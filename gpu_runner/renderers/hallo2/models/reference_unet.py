"""The reference UNet: SD1.5's 2D UNet, run once per clip on the reference image and motion frames.

Only the input of each transformer block's self-attention (its ``norm1`` output) is used, so the released
weights have no output head (``conv_norm_out``/``conv_out``); we build the stock diffusers UNet without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from diffusers import UNet2DConditionModel
from diffusers.models.attention import BasicTransformerBlock
from torch import nn


def build_reference_unet(
    block_out_channels: tuple[int, ...],
    layers_per_block: int,
    heads: int,
    cross_attention_dim: int,
    norm_groups: int,
    norm_eps: float,
    in_channels: int,
    sample_size: int,
) -> UNet2DConditionModel:
    """A diffusers ``UNet2DConditionModel`` with SD1.5's block layout and no output head."""
    depth = len(block_out_channels)
    unet = UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=in_channels,
        out_channels=in_channels,
        down_block_types=("CrossAttnDownBlock2D",) * (depth - 1) + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * (depth - 1),
        block_out_channels=tuple(block_out_channels),
        layers_per_block=layers_per_block,
        attention_head_dim=heads,  # SD1.5's config names the head count "attention_head_dim"
        cross_attention_dim=cross_attention_dim,
        norm_num_groups=norm_groups,
        norm_eps=norm_eps,
    )
    # diffusers skips a None conv_norm_out; conv_out must be callable, so it becomes a parameter-free
    # identity.
    unet.conv_norm_out = None
    unet.conv_out = nn.Identity()
    return unet


def writer_blocks(unet: UNet2DConditionModel) -> dict[str, BasicTransformerBlock]:
    """The reference UNet's transformer blocks, by module path, in registration order."""
    return {name: m for name, m in unet.named_modules() if isinstance(m, BasicTransformerBlock)}


@contextmanager
def capturing_norm1(unet: UNet2DConditionModel) -> Iterator[dict[str, torch.Tensor]]:
    """While active, every transformer block's ``norm1`` output is stored, by block path, in the yielded
    dict."""
    captured: dict[str, torch.Tensor] = {}
    handles = []
    for name, block in writer_blocks(unet).items():

        def store(_module: nn.Module, _args: tuple, output: torch.Tensor, name: str = name) -> None:
            captured[name] = output

        handles.append(block.norm1.register_forward_hook(store))
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()
