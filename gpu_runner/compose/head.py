"""The rendered talking head, read back from its MP4 and scaled by swscale straight into its box.

The head is rendered once and encoded as the job's main video; every format is composed from that file.
Decoding it again costs under a millisecond a frame at the renderers' 512×512 (measured on a 2-core host,
where frame threads only add overhead), against holding every frame in memory (a minute of 512×512 RGB is
1.2 GB); and it is the very picture the main video shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from ..scene import FACE_HEIGHT
from .planes import Planes, Region

# Bicubic keeps a 512 px head sharp when it is enlarged to fill a 1080p box; it costs little at these sizes.
INTERPOLATION = "BICUBIC"


def head_frames(video_path: Path, box: Region) -> Iterator[Planes]:
    """Each frame of the video at ``video_path``, scaled to cover ``box`` and centre-cropped to it (yuv420p).

    The planes yielded are views into a fresh frame each time; a caller may keep them.
    """
    with av.open(str(video_path)) as container:
        stream = container.streams.video[0]
        cover: tuple[int, int] | None = None
        for frame in container.decode(stream):
            if cover is None:
                cover = _cover_size(frame.width, frame.height, box)
            scaled = frame.reformat(
                width=cover[0], height=cover[1], format="yuv420p", interpolation=INTERPOLATION
            )
            yield _centre_crop(scaled.to_ndarray(), cover, box)


def _cover_size(width: int, height: int, box: Region) -> tuple[int, int]:
    """The even size, at the source's aspect ratio, that just covers ``box``."""
    scale = max(box.width / width, box.height / height)
    return (
        max(box.width, math.ceil(width * scale / 2) * 2),
        max(box.height, math.ceil(height * scale / 2) * 2),
    )


def _centre_crop(packed: np.ndarray, size: tuple[int, int], box: Region) -> Planes:
    width, height = size
    flat = packed.reshape(-1)
    luma = width * height
    y = flat[:luma].reshape(height, width)
    u = flat[luma : luma * 5 // 4].reshape(height // 2, width // 2)
    v = flat[luma * 5 // 4 :].reshape(height // 2, width // 2)
    left = (width - box.width) // 4 * 2
    # A little above the middle, where a face is: the scene's preview crops the photo the same way.
    top = int((height - box.height) * FACE_HEIGHT) // 2 * 2
    crop = Region(left, top, box.width, box.height)
    return tuple(plane[crop.slices(scale)] for plane, scale in zip((y, u, v), (1, 2, 2), strict=True))
