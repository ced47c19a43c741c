"""Audio projection: a window of wav2vec2 hidden states per frame to 32 cross-attention tokens."""

from __future__ import annotations

import torch
from torch import nn


class AudioProjection(nn.Module):
    """Flatten (window, layers, channels) → MLP with two ReLUs → ``tokens × dim`` → LayerNorm per token."""

    def __init__(
        self,
        window: int = 5,
        layers: int = 12,
        channels: int = 768,
        hidden_dim: int = 512,
        dim: int = 768,
        tokens: int = 32,
    ) -> None:
        super().__init__()
        self.tokens = tokens
        self.dim = dim
        self.proj1 = nn.Linear(window * layers * channels, hidden_dim)
        self.proj2 = nn.Linear(hidden_dim, hidden_dim)
        self.proj3 = nn.Linear(hidden_dim, tokens * dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """``windows`` (N, frames, window, layers, channels) → tokens (N, frames, tokens, dim)."""
        n, frames = windows.shape[:2]
        x = torch.relu(self.proj1(windows.reshape(n * frames, -1)))
        x = torch.relu(self.proj2(x))
        return self.norm(self.proj3(x).reshape(n, frames, self.tokens, self.dim))
