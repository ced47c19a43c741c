"""The AnimateDiff-style motion module: attention along the frame axis at every latent pixel.

The clip's frames are preceded by the motion frames (features of the previous clip's last frames, taken from
the reference bank), so motion continues across clips; only the clip's own frames are returned.
"""

from __future__ import annotations

import math

import torch
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from torch import nn

from .attention import self_attend


class SinusoidalPositions(nn.Module):
    """Fixed sine/cosine frame positions, added to the attention input. ``pe`` is part of the checkpoint."""

    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32)[:, None]
        frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
        pe = torch.zeros(1, max_len, dim)
        pe[0, :, 0::2] = torch.sin(position * frequency)
        pe[0, :, 1::2] = torch.cos(position * frequency)
        self.register_buffer("pe", pe)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add positions to ``x`` (N, frames, C)."""
        if x.shape[1] > self.pe.shape[1]:
            raise ValueError(
                f"motion module got {x.shape[1]} frames (clip + motion frames) but its positional "
                f"encoding covers {self.pe.shape[1]}; use shorter clips"
            )
        return x + self.pe[:, : x.shape[1]]


class TemporalSelfAttention(Attention):
    """Self-attention across frames, with positions added to its input."""

    def __init__(self, dim: int, heads: int, max_len: int) -> None:
        super().__init__(query_dim=dim, heads=heads, dim_head=dim // heads)
        self.pos_encoder = SinusoidalPositions(dim, max_len)


class TemporalTransformerBlock(nn.Module):
    """Two temporal self-attentions and a GEGLU feed-forward, each pre-normed with a residual."""

    def __init__(self, dim: int, heads: int, max_len: int) -> None:
        super().__init__()
        self.attention_blocks = nn.ModuleList([TemporalSelfAttention(dim, heads, max_len) for _ in range(2)])
        self.norms = nn.ModuleList([nn.LayerNorm(dim) for _ in range(2)])
        self.ff = FeedForward(dim, activation_fn="geglu")
        self.ff_norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (N, frames, C), one sequence per latent pixel."""
        for attn, norm in zip(self.attention_blocks, self.norms, strict=True):
            x = self_attend(attn, attn.pos_encoder(norm(x))) + x
        return self.ff(self.ff_norm(x)) + x


class TemporalTransformer(nn.Module):
    """GroupNorm per frame → linear in → :class:`TemporalTransformerBlock` over frames → linear out, +
    residual."""

    def __init__(self, channels: int, heads: int, max_len: int, norm_groups: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(norm_groups, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, channels)
        self.transformer_blocks = nn.ModuleList([TemporalTransformerBlock(channels, heads, max_len)])
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, hidden_states: torch.Tensor, rows: int) -> torch.Tensor:
        """``hidden_states`` (rows·frames, C, H, W), frames contiguous per row → same shape."""
        n, c, h, w = hidden_states.shape
        frames = n // rows
        x = self.norm(hidden_states).permute(0, 2, 3, 1).reshape(rows, frames, h * w, c)
        x = self.proj_in(x).transpose(1, 2).reshape(rows * h * w, frames, c)
        x = self.transformer_blocks[0](x)
        x = self.proj_out(x).reshape(rows, h * w, frames, c).transpose(1, 2)
        x = x.reshape(n, h, w, c).permute(0, 3, 1, 2)
        return x + hidden_states


class MotionModule(nn.Module):
    """A motion module at one UNet location; it prepends the motion frames and returns the clip's frames."""

    def __init__(self, channels: int, heads: int, max_len: int, norm_groups: int) -> None:
        super().__init__()
        self.temporal_transformer = TemporalTransformer(channels, heads, max_len, norm_groups)

    def forward(self, hidden_states: torch.Tensor, motion: torch.Tensor, frames: int) -> torch.Tensor:
        """``hidden_states`` (rows·frames, C, H, W); ``motion`` (rows, motion_frames, H·W, C) → like the
        input."""
        n, c, h, w = hidden_states.shape
        rows, motion_frames = motion.shape[:2]
        motion = motion.to(hidden_states.dtype).permute(0, 1, 3, 2).reshape(rows, motion_frames, c, h, w)
        clip = hidden_states.reshape(rows, frames, c, h, w)
        x = torch.cat([motion, clip], dim=1).reshape(rows * (motion_frames + frames), c, h, w)
        x = self.temporal_transformer(x, rows)
        return x.reshape(rows, motion_frames + frames, c, h, w)[:, motion_frames:].reshape(n, c, h, w)
