"""The denoising UNet's spatial transformer: self-attention that also reads the reference image, then the
face tokens.

The self-attention keys/values of each frame are ``[own tokens ‖ reference-image tokens]`` (the reference
features come from the reference UNet through a :class:`ReferenceBank`). See
:meth:`ReferenceReadingBlock.forward` for which reference row each frame reads. The unconditional half of a
classifier-free-guidance batch uses plain self-attention instead, which is what the released weights were
evaluated with: the reference implementation computes the reference attention for every row and then
overwrites the unconditional rows; computing each row once gives the same result at half the cost.
"""

from __future__ import annotations

import torch
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from torch import nn

from .attention import attend, project_key_value, self_attend
from .reference_bank import ReferenceBank


class ReferenceReadingBlock(nn.Module):
    """One transformer block: reference-reading self-attention, face-token cross-attention, GEGLU
    feed-forward."""

    def __init__(self, dim: int, heads: int, cross_attention_dim: int) -> None:
        super().__init__()
        self.attn1 = Attention(query_dim=dim, heads=heads, dim_head=dim // heads)
        self.norm1 = nn.LayerNorm(dim)
        self.attn2 = Attention(
            query_dim=dim, cross_attention_dim=cross_attention_dim, heads=heads, dim_head=dim // heads
        )
        self.norm2 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, activation_fn="geglu")
        self.norm3 = nn.LayerNorm(dim)

    def project_reference(self, reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Project reference features (rows, L, C) with ``attn1`` once, for reuse on every denoising step."""
        return project_key_value(self.attn1, reference)

    def forward(
        self, hidden_states: torch.Tensor, face_tokens: torch.Tensor, bank: ReferenceBank, frames: int
    ) -> torch.Tensor:
        """``hidden_states`` (rows·frames, L, C); ``face_tokens`` (rows, T, C')."""
        norm = self.norm1(hidden_states)
        split = bank.uncond_rows * frames
        parts = []
        if split:
            parts.append(self_attend(self.attn1, norm[:split]))
        cond = norm[split:]
        if len(cond):
            key, value = project_key_value(self.attn1, cond)
            # Batch row r of the (rows·frames) batch reads the reference features of row r % rows: the
            # reference tiles the per-row reference features over the frames instead of repeating each, so
            # with two guidance rows the conditional frames alternate between the unconditional and the
            # conditional reference pass. The released weights were evaluated that way.
            source = torch.arange(split, norm.shape[0], device=norm.device) % bank.key.shape[0]
            ref_key = bank.key[source]
            ref_value = bank.value[source]
            key = torch.cat([key, ref_key], dim=2)
            value = torch.cat([value, ref_value], dim=2)
            parts.append(attend(self.attn1, cond, key, value))
        hidden_states = torch.cat(parts) + hidden_states
        # Face tokens are per row, not per frame: project them once and share the result across frames.
        face_key, face_value = project_key_value(self.attn2, face_tokens)
        face_key = face_key.repeat_interleave(frames, dim=0)
        face_value = face_value.repeat_interleave(frames, dim=0)
        hidden_states = attend(self.attn2, self.norm2(hidden_states), face_key, face_value) + hidden_states
        return self.ff(self.norm3(hidden_states)) + hidden_states


class SpatialTransformer(nn.Module):
    """GroupNorm → 1×1 conv → one :class:`ReferenceReadingBlock` → 1×1 conv, plus the residual; per frame."""

    def __init__(self, channels: int, heads: int, cross_attention_dim: int, norm_groups: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(norm_groups, channels, eps=1e-6)
        self.proj_in = nn.Conv2d(channels, channels, kernel_size=1)
        self.transformer_blocks = nn.ModuleList([ReferenceReadingBlock(channels, heads, cross_attention_dim)])
        self.proj_out = nn.Conv2d(channels, channels, kernel_size=1)
        #: the module path inside the denoising UNet, the key of this block's entry in the reference banks
        self.bank_name = ""

    @property
    def block(self) -> ReferenceReadingBlock:
        """The single transformer block, which reads the reference bank."""
        return self.transformer_blocks[0]

    def forward(
        self, hidden_states: torch.Tensor, face_tokens: torch.Tensor, bank: ReferenceBank, frames: int
    ) -> torch.Tensor:
        """``hidden_states`` (rows·frames, C, H, W) → same shape."""
        n, c, h, w = hidden_states.shape
        x = self.proj_in(self.norm(hidden_states)).permute(0, 2, 3, 1).reshape(n, h * w, c)
        x = self.block(x, face_tokens, bank, frames)
        x = x.reshape(n, h, w, c).permute(0, 3, 1, 2)
        return self.proj_out(x) + hidden_states
