"""The denoising UNet3D: SD1.5's UNet inflated over frames, with reference reading, audio and motion
modules."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from torch import nn

from .audio_module import RegionMasks
from .reference_bank import ReferenceBank
from .spatial_transformer import SpatialTransformer
from .unet_blocks import (
    BlockSettings,
    CrossAttnDownBlock3D,
    CrossAttnUpBlock3D,
    DownBlock3D,
    MidBlock3D,
    StepContext,
    UpBlock3D,
)


class DenoisingUNet(nn.Module):
    """Predicts the v-target for a batch of clips. Attribute names match the ``denoising_unet.`` keys of
    net.pth.

    The first ``len(block_out_channels) - 1`` down blocks and the last as many up blocks have attention; the
    innermost ones do not, as in SD1.5.
    """

    def __init__(
        self,
        block_out_channels: tuple[int, ...],
        layers_per_block: int,
        in_channels: int,
        out_channels: int,
        settings: BlockSettings,
    ) -> None:
        super().__init__()
        s = settings
        depth = len(block_out_channels)
        base = block_out_channels[0]
        self.conv_in = nn.Conv2d(in_channels, base, kernel_size=3, padding=1)
        self.time_proj = Timesteps(base, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(base, s.temb_channels)

        self.down_blocks = nn.ModuleList()
        previous = base
        for i, width in enumerate(block_out_channels):
            last = i == depth - 1
            if last:
                block = DownBlock3D(previous, width, layers_per_block, downsample=False, s=s)
            else:
                block = CrossAttnDownBlock3D(previous, width, layers_per_block, depth=i, downsample=True, s=s)
            self.down_blocks.append(block)
            previous = width

        self.up_blocks = nn.ModuleList()
        reversed_widths = list(reversed(block_out_channels))
        for i, width in enumerate(reversed_widths):
            skip = reversed_widths[min(i + 1, depth - 1)]
            upsample = i != depth - 1
            if i == 0:
                block = UpBlock3D(skip, previous, width, layers_per_block + 1, upsample, s)
            else:
                block = CrossAttnUpBlock3D(
                    skip, previous, width, layers_per_block + 1, depth - 1 - i, upsample, s
                )
            self.up_blocks.append(block)
            previous = width

        self.mid_block = MidBlock3D(block_out_channels[-1], s, depth=depth - 1)
        self.conv_norm_out = nn.GroupNorm(s.norm_groups, base, eps=s.norm_eps)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(base, out_channels, kernel_size=3, padding=1)

        for name, module in self.named_modules():
            if isinstance(module, SpatialTransformer):
                module.bank_name = name

    def reader_blocks(self) -> dict[str, SpatialTransformer]:
        """The spatial transformers that read reference banks, by module path, in registration order."""
        return {m.bank_name: m for m in self.modules() if isinstance(m, SpatialTransformer)}

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor,
        face_tokens: torch.Tensor,
        audio_tokens: torch.Tensor,
        face_features: torch.Tensor | None,
        masks: list[RegionMasks],
        motion_scale: tuple[float, float, float],
        banks: Mapping[str, ReferenceBank],
    ) -> torch.Tensor:
        """One call of the network.

        Args:
            sample: noisy latents (rows, C, frames, H, W).
            timestep: scalar or (rows,) timestep.
            face_tokens: identity tokens (rows, T, C_cross).
            audio_tokens: audio tokens (rows, frames, 32, C_audio).
            face_features: face-locator output (rows, C0, H, W), the same for every frame, or None.
            masks: soft region masks per level, level 0 at the latent resolution.
            motion_scale: weights of the full-frame, face and lip audio branches.
            banks: reference banks by spatial-transformer path (see ``reader_blocks``).

        Returns:
            The prediction, (rows, C_out, frames, H, W).
        """
        rows, _, frames, height, width = sample.shape
        timesteps = torch.as_tensor(timestep, device=sample.device).reshape(-1).expand(rows)
        temb = self.time_embedding(self.time_proj(timesteps).to(sample.dtype))
        ctx = StepContext(
            frames=frames,
            temb=temb.repeat_interleave(frames, dim=0),
            face_tokens=face_tokens,
            audio_tokens=audio_tokens.reshape(rows * frames, *audio_tokens.shape[2:]),
            masks=masks,
            motion_scale=motion_scale,
            banks=banks,
        )
        x = sample.transpose(1, 2).reshape(rows * frames, -1, height, width)
        x = self.conv_in(x)
        if face_features is not None:
            x = (x.view(rows, frames, *x.shape[1:]) + face_features[:, None]).view_as(x)

        skips = [x]
        for block in self.down_blocks:
            x, block_skips = block(x, ctx)
            skips.extend(block_skips)
        x = self.mid_block(x, ctx)
        for block in self.up_blocks:
            block_skips = skips[-len(block.resnets) :]
            del skips[-len(block.resnets) :]
            # Upsample to the next skip's size, so odd latent sizes line up with the down path.
            size = tuple(skips[-1].shape[-2:]) if skips else None
            x = block(x, block_skips, ctx, size)
        x = self.conv_out(self.conv_act(self.conv_norm_out(x)))
        return x.reshape(rows, frames, -1, height, width).transpose(1, 2)
