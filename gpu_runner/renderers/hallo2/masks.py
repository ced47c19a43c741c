"""Hallo2's face, lip and background masks, made from the 478 face landmarks as the reference makes them.

Two kinds of mask come out of the landmarks:

- the face-locator input: a hard rectangle around the face outline, expanded ×1.2, at the image size;
- the soft region masks that weight the audio modules' three cross-attentions: the face rectangle and a
  lip rectangle (expanded ×2.0) are shrunk to 64², blurred (kernels 51 and 31), stretched to 0–255, and
  combined into ``full`` (background = inverted face), ``face`` (face minus lips) and ``lip``; each is
  then resized to the four latent resolutions (image/8 … image/64) and flattened to (1, h·w).

The network was trained on masks made this way, so the arithmetic follows the reference to the pixel,
quirks included (floor division in the box expansion, the truncating inversion, OpenCV's fixed-point
resize, Pillow's antialiased bilinear resize); ``tests/gpu_runner/hallo2/test_masks.py`` checks it
against the reference's own output.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ...faces import SILHOUETTE_IDS

# MediaPipe's outer and inner lip contour, as the reference lists them.
LIP_IDS = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 146, 91, 181, 84, 17, 314, 405, 321, 375)

FACE_EXPAND_RATIO = 1.2  # long.yaml `face_expand_ratio`
LIP_EXPAND_RATIO = 2.0
SOFT_MASK_SIZE = 64
FACE_BLUR_KERNEL = 51
LIP_BLUR_KERNEL = 31
# Latent resolutions of the denoising UNet's four depths, as divisors of the image side.
LEVEL_DIVISORS = (8, 16, 32, 64)


@dataclass(frozen=True)
class FaceMasks:
    """Every mask Hallo2 takes, for one square image.

    uint8 masks (0–255): ``face_box`` and ``lip_box`` are the hard rectangles at image size (H, W);
    ``face_blur``, ``full_soft``, ``face_soft`` and ``lip_soft`` are the 64×64 soft masks (blurred face,
    background, face without lips, lips).

    float32 network inputs: ``face_region`` (3, H, W) in {0, 1} is the face locator's input;
    ``full_levels``, ``face_levels`` and ``lip_levels`` each hold four (1, h·w) masks in [0, 1] for
    latent sides H/8, H/16, H/32 and H/64, in that order (the audio module at UNet depth *d* reads
    index *d*).
    """

    face_box: np.ndarray
    lip_box: np.ndarray
    face_blur: np.ndarray
    full_soft: np.ndarray
    face_soft: np.ndarray
    lip_soft: np.ndarray
    face_region: np.ndarray
    full_levels: tuple[np.ndarray, ...]
    face_levels: tuple[np.ndarray, ...]
    lip_levels: tuple[np.ndarray, ...]


def compute_masks(
    landmarks: np.ndarray, image_size: int, face_expand_ratio: float = FACE_EXPAND_RATIO
) -> FaceMasks:
    """All of Hallo2's masks for a square ``image_size`` image with these (478, 2) pixel landmarks."""
    if landmarks.ndim != 2 or landmarks.shape[1] != 2 or landmarks.shape[0] <= max(SILHOUETTE_IDS):
        raise ValueError(f"expected MediaPipe face-mesh landmarks of shape (478, 2), got {landmarks.shape}")
    if image_size % LEVEL_DIVISORS[-1]:
        raise ValueError(f"image size {image_size} is not a multiple of {LEVEL_DIVISORS[-1]}; use 512 or 128")
    face_box = box_mask(landmarks[list(SILHOUETTE_IDS)], image_size, image_size, face_expand_ratio)
    lip_box = box_mask(landmarks[list(LIP_IDS)], image_size, image_size, LIP_EXPAND_RATIO)
    face_blur = soft_mask(face_box, FACE_BLUR_KERNEL)
    lip_soft = soft_mask(lip_box, LIP_BLUR_KERNEL)
    full_soft = invert_mask(face_blur)
    face_soft = cv2.subtract(face_blur, lip_soft)  # saturating: lips outside the blurred face give 0, not 255
    return FaceMasks(
        face_box=face_box,
        lip_box=lip_box,
        face_blur=face_blur,
        full_soft=full_soft,
        face_soft=face_soft,
        lip_soft=lip_soft,
        face_region=np.repeat((face_box.astype(np.float32) / np.float32(255))[None], 3, axis=0),
        full_levels=mask_levels(full_soft, image_size),
        face_levels=mask_levels(face_soft, image_size),
        lip_levels=mask_levels(lip_soft, image_size),
    )


def box_mask(points: np.ndarray, height: int, width: int, expand_ratio: float) -> np.ndarray:
    """A (height, width) uint8 mask, 255 inside the box around ``points`` expanded by ``expand_ratio``."""
    low = np.round(points.min(axis=0))
    high = np.round(points.max(axis=0))
    x0, x1, y0, y1 = expand_region(low[0], high[0], low[1], high[1], width, height, expand_ratio)
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def expand_region(
    x0: float, x1: float, y0: float, y1: float, width: int, height: int, ratio: float
) -> tuple[int, int, int, int]:
    """Scale a box about its centre and shift it back inside the image; returns integer (x0, x1, y0, y1).

    The centre and half-sides use floor division on floats, as the reference does: it moves boxes by up to a
    pixel compared with exact halves, and the training masks were made that way.
    """
    mid_x, mid_y = (x1 + x0) // 2, (y1 + y0) // 2
    half_x, half_y = ((x1 - x0) * ratio) // 2, ((y1 - y0) * ratio) // 2
    x0, x1, y0, y1 = mid_x - half_x, mid_x + half_x, mid_y - half_y, mid_y + half_y
    if x0 < 0:
        x1, x0 = x1 - x0, 0
    if x1 > width:
        x0, x1 = x0 - (x1 - width), width
    if y0 < 0:
        y1, y0 = y1 - y0, 0
    if y1 > height:
        y0, y1 = y0 - (y1 - height), height
    return round(x0), round(x1), round(y0), round(y1)


def soft_mask(mask: np.ndarray, kernel: int) -> np.ndarray:
    """Shrink a uint8 mask to 64², Gaussian-blur it (σ from the kernel size) and stretch it to 0–255."""
    # INTER_LINEAR on uint8 takes OpenCV's fixed-point path, the one the reference's masks came from.
    small = cv2.resize(mask, (SOFT_MASK_SIZE, SOFT_MASK_SIZE))
    blurred = cv2.GaussianBlur(small, (kernel, kernel), 0)
    return cv2.normalize(blurred, None, 0, 255, cv2.NORM_MINMAX)


def invert_mask(mask: np.ndarray) -> np.ndarray:
    """255 − mask, computed as the reference does: ``(1 − x/255)·255`` truncated, which is one lower for 50 of
    the 256 values (e.g. 43 → 211, not 212)."""
    return ((1.0 - mask / 255.0) * 255).astype(np.uint8)


def mask_levels(mask: np.ndarray, image_size: int) -> tuple[np.ndarray, ...]:
    """A 64×64 uint8 mask at the four latent sides of an ``image_size`` image, each as (1, h·w) in [0, 1].

    Pillow's bilinear resize (antialiased when shrinking) is the reference's; another resizer differs by
    several /255 at the edges.
    """
    source = Image.fromarray(mask)
    levels = []
    for divisor in LEVEL_DIVISORS:
        side = image_size // divisor
        resized = np.asarray(source.resize((side, side), Image.Resampling.BILINEAR))
        levels.append((resized.astype(np.float32) / np.float32(255)).reshape(1, side * side))
    return tuple(levels)
