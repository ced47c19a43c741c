"""Multi-head attention on the weights of a diffusers
:class:`~diffusers.models.attention_processor.Attention`.

Every attention of the Hallo2 networks goes through these few functions, so all of them run on
``F.scaled_dot_product_attention`` and the key/value projection can be split from the query side: the
denoising UNet projects the reference features once per clip and reuses them on every step (see
``denoise.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(N, L, heads·D) → (N, heads, L, D)."""
    n, length, width = x.shape
    return x.view(n, length, heads, width // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(N, heads, L, D) → (N, L, heads·D)."""
    n, heads, length, dim = x.shape
    return x.transpose(1, 2).reshape(n, length, heads * dim)


def project_key_value(attn: Attention, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keys and values of ``context`` (N, L, C) for ``attn``, already split into heads: two (N, heads, L,
    D)."""
    return split_heads(attn.to_k(context), attn.heads), split_heads(attn.to_v(context), attn.heads)


def attend(
    attn: Attention, hidden_states: torch.Tensor, key: torch.Tensor, value: torch.Tensor
) -> torch.Tensor:
    """Queries from ``hidden_states`` (N, L, C) against projected ``key``/``value`` (N, heads, S, D); output
    proj."""
    query = split_heads(attn.to_q(hidden_states), attn.heads)
    out = F.scaled_dot_product_attention(query, key, value)
    return attn.to_out[0](merge_heads(out))


def self_attend(attn: Attention, hidden_states: torch.Tensor) -> torch.Tensor:
    """Plain self-attention of ``hidden_states`` (N, L, C)."""
    return attend(attn, hidden_states, *project_key_value(attn, hidden_states))


def cross_attend(attn: Attention, hidden_states: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
    """Cross-attention of ``hidden_states`` (N, L, C) to ``context`` (N, S, C')."""
    return attend(attn, hidden_states, *project_key_value(attn, context))
