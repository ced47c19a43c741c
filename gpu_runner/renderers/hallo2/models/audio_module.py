"""The audio module: cross-attention from each frame's latent pixels to that frame's audio tokens, by face
region.

Three cross-attentions (``attn2_0/1/2``) read the same audio tokens; their outputs are weighted by the soft
full-frame, face and lip masks, mixed by 1×1 convolutions and summed with the per-region ``motion_scale``
weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from torch import nn

from .attention import cross_attend, self_attend


@dataclass(frozen=True)
class RegionMasks:
    """Soft masks at one latent resolution, each (H·W, 1) in [0, 1], shared by every frame and batch row."""

    full: torch.Tensor
    face: torch.Tensor
    lip: torch.Tensor


class AudioBlock(nn.Module):
    """Self-attention, the three masked audio cross-attentions with their 1×1 mixing convs, feed-forward."""

    def __init__(self, dim: int, heads: int, audio_dim: int) -> None:
        super().__init__()
        head_dim = dim // heads
        self.zero_conv_full = nn.Conv2d(dim, dim, kernel_size=1)
        self.zero_conv_face = nn.Conv2d(dim, dim, kernel_size=1)
        self.zero_conv_lip = nn.Conv2d(dim, dim, kernel_size=1)
        self.attn1 = Attention(query_dim=dim, heads=heads, dim_head=head_dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn2_0 = Attention(query_dim=dim, cross_attention_dim=audio_dim, heads=heads, dim_head=head_dim)
        self.attn2_1 = Attention(query_dim=dim, cross_attention_dim=audio_dim, heads=heads, dim_head=head_dim)
        self.attn2_2 = Attention(query_dim=dim, cross_attention_dim=audio_dim, heads=heads, dim_head=head_dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, activation_fn="geglu")
        self.norm3 = nn.LayerNorm(dim)

    @staticmethod
    def _mix(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
        # A 1×1 conv is a per-token linear map; applying it to tokens directly avoids the reference's reshape
        # to a square grid, so non-square latents work too.
        return F.linear(x, conv.weight.flatten(1), conv.bias)

    def forward(
        self,
        hidden_states: torch.Tensor,
        audio_tokens: torch.Tensor,
        masks: RegionMasks,
        motion_scale: tuple[float, float, float],
    ) -> torch.Tensor:
        """``hidden_states`` (rows·frames, L, C); ``audio_tokens`` (rows·frames, 32, C')."""
        hidden_states = self_attend(self.attn1, self.norm1(hidden_states)) + hidden_states
        norm = self.norm2(hidden_states)
        full = self._mix(self.zero_conv_full, cross_attend(self.attn2_0, norm, audio_tokens) * masks.full)
        face = self._mix(self.zero_conv_face, cross_attend(self.attn2_1, norm, audio_tokens) * masks.face)
        lip = self._mix(self.zero_conv_lip, cross_attend(self.attn2_2, norm, audio_tokens) * masks.lip)
        pose_w, face_w, lip_w = motion_scale
        hidden_states = pose_w * full + face_w * face + lip_w * lip + hidden_states
        return self.ff(self.norm3(hidden_states)) + hidden_states


class AudioModule(nn.Module):
    """GroupNorm → 1×1 conv → one :class:`AudioBlock` → 1×1 conv, plus the residual; per frame.

    ``inner_channels`` differs from ``channels`` in some blocks of the released model (the inner width follows
    the block's input width, not its output width); the weights fix it, so it is kept.
    """

    def __init__(
        self,
        channels: int,
        inner_channels: int,
        heads: int,
        audio_dim: int,
        norm_groups: int,
        mask_level: int,
    ) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(norm_groups, channels, eps=1e-6)
        self.proj_in = nn.Conv2d(channels, inner_channels, kernel_size=1)
        self.transformer_blocks = nn.ModuleList([AudioBlock(inner_channels, heads, audio_dim)])
        self.proj_out = nn.Conv2d(inner_channels, channels, kernel_size=1)
        #: which mask resolution this module reads: 0 = latent size, 1 = half, …
        self.mask_level = mask_level

    def forward(
        self,
        hidden_states: torch.Tensor,
        audio_tokens: torch.Tensor,
        masks: list[RegionMasks],
        motion_scale: tuple[float, float, float],
    ) -> torch.Tensor:
        """``hidden_states`` (rows·frames, C, H, W); ``masks`` indexed by level → same shape."""
        n, _, h, w = hidden_states.shape
        x = self.proj_in(self.norm(hidden_states))
        inner = x.shape[1]
        x = x.permute(0, 2, 3, 1).reshape(n, h * w, inner)
        x = self.transformer_blocks[0](x, audio_tokens, masks[self.mask_level], motion_scale)
        x = x.reshape(n, h, w, inner).permute(0, 3, 1, 2)
        return self.proj_out(x) + hidden_states
