"""Pictures in yuv420p as numpy planes: the compositor's canvas, pasted heads and premultiplied overlays.

A finished video is composed in the encoder's own pixel format, so no frame is ever converted from RGB to YUV
while the video is made: the static layers are converted once (by FFmpeg's swscale), each talking-head frame
is scaled by swscale straight into yuv420p at its box's size, and only a caption's box is blended, with
integer numpy arithmetic over whole planes.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from PIL import Image

Planes = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Region:
    """A rectangle of a frame on the chroma grid: even position and size, covering whole chroma samples."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def snapped(cls, x: float, y: float, width: float, height: float, frame_w: int, frame_h: int) -> Region:
        """The even-aligned rectangle inside a ``frame_w`` × ``frame_h`` frame nearest to the one given."""
        left = max(0, min(frame_w, int(round(x)) // 2 * 2))
        top = max(0, min(frame_h, int(round(y)) // 2 * 2))
        right = max(left, min(frame_w, int(round(x + width)) // 2 * 2))
        bottom = max(top, min(frame_h, int(round(y + height)) // 2 * 2))
        return cls(left, top, right - left, bottom - top)

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def intersection(self, other: Region) -> Region | None:
        """The part of this region inside ``other``, or ``None`` when they do not overlap."""
        left, top = max(self.x, other.x), max(self.y, other.y)
        right = min(self.x + self.width, other.x + other.width)
        bottom = min(self.y + self.height, other.y + other.height)
        if right <= left or bottom <= top:
            return None
        return Region(left, top, right - left, bottom - top)

    def slices(self, scale: int = 1) -> tuple[slice, slice]:
        """Row and column slices of this region in a plane subsampled by ``scale`` (2 for chroma)."""
        return (
            slice(self.y // scale, (self.y + self.height) // scale),
            slice(self.x // scale, (self.x + self.width) // scale),
        )


class YuvPicture:
    """One yuv420p picture in a single packed buffer (Y, then U, then V): the layout PyAV encodes from."""

    def __init__(self, width: int, height: int, packed: np.ndarray | None = None) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"a yuv420p picture has an even size, not {width}×{height}")
        self.width, self.height = width, height
        self.packed = packed if packed is not None else np.zeros((height * 3 // 2, width), np.uint8)
        flat = self.packed.reshape(-1)
        luma = width * height
        self.y = flat[:luma].reshape(height, width)
        self.u = flat[luma : luma * 5 // 4].reshape(height // 2, width // 2)
        self.v = flat[luma * 5 // 4 :].reshape(height // 2, width // 2)

    @classmethod
    def from_image(cls, image: Image.Image) -> YuvPicture:
        """``image`` (RGB) converted by swscale, with the BT.601 matrix and limited range the encoder tags."""
        frame = av.VideoFrame.from_ndarray(np.asarray(image.convert("RGB")), format="rgb24")
        return cls.from_video_frame(frame.reformat(format="yuv420p"))

    @classmethod
    def from_video_frame(cls, frame: av.VideoFrame) -> YuvPicture:
        """A copy of a yuv420p ``frame``."""
        return cls(frame.width, frame.height, np.ascontiguousarray(frame.to_ndarray()))

    @property
    def planes(self) -> Planes:
        return self.y, self.u, self.v

    def copy_from(self, other: YuvPicture) -> None:
        """Make this picture equal to ``other`` (same size), in place."""
        np.copyto(self.packed, other.packed)

    def paste(self, region: Region, planes: Planes) -> None:
        """Put ``planes`` (Y, U, V of exactly the region's size) at ``region``."""
        for target, source, scale in zip(self.planes, planes, (1, 2, 2), strict=True):
            rows, columns = region.slices(scale)
            target[rows, columns] = source

    def to_video_frame(self) -> av.VideoFrame:
        """A new frame for the encoder; it holds a copy, so this picture can change at once."""
        return av.VideoFrame.from_ndarray(self.packed, format="yuv420p")

    def to_image(self) -> Image.Image:
        """This picture as an RGB image (for a poster)."""
        return self.to_video_frame().to_image()


class Overlay:
    """An RGBA picture at a region, prepared once to be blended onto yuv420p pictures many times.

    The colour planes are stored premultiplied by their alpha and the inverse alphas beside them, so blending
    is ``(under × (255 − α) + colour × α) / 255`` with 16-bit integers over the region's planes only.
    """

    def __init__(self, image: Image.Image, region: Region) -> None:
        rgba = image.convert("RGBA")
        if rgba.size != (region.width, region.height):
            # The region is the picture's box snapped to even pixels: a pixel is cut or left clear, never
            # resampled, so the text stays as sharp as it was drawn.
            fitted = Image.new("RGBA", (region.width, region.height), (0, 0, 0, 0))
            fitted.paste(rgba, (0, 0))
            rgba = fitted
        pixels = np.asarray(rgba)
        colour = YuvPicture.from_image(Image.fromarray(pixels[..., :3]))
        alpha = pixels[..., 3].astype(np.uint16)
        # Chroma is one sample per 2×2 pixels, so its alpha is the mean of theirs.
        chroma_alpha = (
            alpha.reshape(region.height // 2, 2, region.width // 2, 2).sum(axis=(1, 3), dtype=np.uint16) + 2
        ) // 4
        self.region = region
        self._alphas = (alpha, chroma_alpha, chroma_alpha)
        self._premultiplied = tuple(
            plane.astype(np.uint16) * a for plane, a in zip(colour.planes, self._alphas, strict=True)
        )
        self._inverse = tuple(255 - a for a in self._alphas)
        self.visible = bool(alpha.any())

    def blend_onto(self, picture: YuvPicture, within: Region | None = None) -> None:
        """Blend onto ``picture`` in place, over the whole overlay or only its part inside ``within``."""
        area = self.region if within is None else self.region.intersection(within)
        if area is None or not self.visible:
            return
        local = Region(area.x - self.region.x, area.y - self.region.y, area.width, area.height)
        for target, premultiplied, inverse, scale in zip(
            picture.planes, self._premultiplied, self._inverse, (1, 2, 2), strict=True
        ):
            rows, columns = area.slices(scale)
            local_rows, local_columns = local.slices(scale)
            mixed = target[rows, columns].astype(np.uint16)
            mixed *= inverse[local_rows, local_columns]
            mixed += premultiplied[local_rows, local_columns]
            # Exact rounding of mixed / 255 for every value mixed can take (at most 255 × 255).
            mixed += 128
            mixed += mixed >> 8
            target[rows, columns] = mixed >> 8
