"""The face locator: a small conv net turning the face-region mask into features added after the UNet's
conv_in."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class FaceLocator(nn.Module):
    """3×3 convs with SiLU, halving the resolution at each width step, ending in a conv to the UNet's
    width."""

    def __init__(
        self, out_channels: int, channels: tuple[int, ...] = (16, 32, 64, 128), in_channels: int = 3
    ):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, channels[0], kernel_size=3, padding=1)
        self.blocks = nn.ModuleList()
        for width, next_width in zip(channels[:-1], channels[1:], strict=True):
            self.blocks.append(nn.Conv2d(width, width, kernel_size=3, padding=1))
            self.blocks.append(nn.Conv2d(width, next_width, kernel_size=3, padding=1, stride=2))
        self.conv_out = nn.Conv2d(channels[-1], out_channels, kernel_size=3, padding=1)

    def forward(self, region: torch.Tensor) -> torch.Tensor:
        """``region`` (N, 3, H, W) in {0, 1} → features (N, out_channels, H/8, W/8)."""
        x = F.silu(self.conv_in(region))
        for conv in self.blocks:
            x = F.silu(conv(x))
        return self.conv_out(x)
