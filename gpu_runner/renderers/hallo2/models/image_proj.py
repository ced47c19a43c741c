"""Identity projection: a face-recognition embedding to a few cross-attention tokens."""

from __future__ import annotations

import torch
from torch import nn


class ImageProjection(nn.Module):
    """Linear to ``tokens × dim``, then LayerNorm per token."""

    def __init__(self, embedding_dim: int = 512, dim: int = 768, tokens: int = 4) -> None:
        super().__init__()
        self.tokens = tokens
        self.dim = dim
        self.proj = nn.Linear(embedding_dim, tokens * dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        """``embedding`` (N, embedding_dim) → tokens (N, tokens, dim)."""
        return self.norm(self.proj(embedding).reshape(-1, self.tokens, self.dim))
