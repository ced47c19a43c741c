"""The reference features one reader block of the denoising UNet attends to, captured once per clip."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ReferenceBank:
    """What the reference UNet's paired transformer block saw, for one spatial block of the denoising UNet.

    Batch rows follow the denoising batch: ``[uncond rows…, cond rows…]`` under classifier-free guidance.

    Attributes:
        key, value: the reference image's features of every row, projected once by the reader's ``attn1``,
            (rows, heads, L, D).
        motion: the motion frames' features (rows, motion_frames, L, C), prepended to the clip in the motion
        module.
        uncond_rows: how many leading batch rows are the unconditional half.
    """

    key: torch.Tensor
    value: torch.Tensor
    motion: torch.Tensor
    uncond_rows: int
