"""The ``still`` renderer: the presenter photo with a slow zoom, for machines without a GPU.

It is honest about what it is: ``weights()`` says there is no talking head, and every job records it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from .base import FrameStream, Renderer, RenderInput, StageReporter

if TYPE_CHECKING:
    from ..settings import RunnerSettings

SIZE = 512
ZOOM_END = 1.06
# Cancellation is checked through Redis; every 25 frames (one second of video) is often enough.
CHECK_EVERY = 25


class StillRenderer(Renderer):
    """The image, centre-cropped square at 512×512, zooming gently from 1.00 to 1.06 over the clip."""

    name = "still"

    def __init__(self, settings: RunnerSettings | None = None) -> None:
        # The still renderer has nothing to configure; it takes settings like every renderer in the registry.
        self.load_count = 0

    def load(self) -> None:
        # Nothing to load; counted so the runner's "loads once" guarantee is testable for this renderer too.
        self.load_count += 1

    def weights(self) -> str:
        return "none (still image, no talking head)"

    def render(self, job: RenderInput, reporter: StageReporter) -> FrameStream:
        reporter.enter("face")
        square = _center_square(job.image)
        reporter.enter("render")
        count = job.frame_count
        return FrameStream(SIZE, SIZE, job.fps, count, _zoom_frames(square, count, reporter))


def _center_square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    # Oversample so each zoom step crops real detail instead of upscaling a 512 px image.
    target = round(SIZE * ZOOM_END) + 2
    return image.crop((left, top, left + side, top + side)).resize((target, target), Image.Resampling.LANCZOS)


def _zoom_frames(square: Image.Image, count: int, reporter: StageReporter) -> Iterator[np.ndarray]:
    side = square.width
    for index in range(count):
        if index % CHECK_EVERY == 0:
            reporter.check_cancelled()
            reporter.progress(index / count)
        zoom = 1.0 + (ZOOM_END - 1.0) * (index / max(1, count - 1))
        crop = side / zoom
        offset = (side - crop) / 2
        frame = square.resize(
            (SIZE, SIZE), Image.Resampling.BILINEAR, box=(offset, offset, offset + crop, offset + crop)
        )
        yield np.asarray(frame, dtype=np.uint8)
    reporter.progress(1.0)
