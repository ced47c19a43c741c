"""The ``still`` renderer: the presenter photo with a slow zoom, for machines without a GPU.

It is honest about what it is: ``weights()`` says there is no talking head, and every job records it.
"""

from __future__ import annotations

import time
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
        # Only a test aid is configurable: GPU_RUNNER_TEST_FRAME_DELAY_S slows rendering so that a fault test
        # can disturb a runner in the middle of a job. It is zero unless a test sets it.
        self.frame_delay_s = settings.test_frame_delay_s if settings is not None else 0.0
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
        frames = _zoom_frames(square, count, reporter, self.frame_delay_s)
        return FrameStream(SIZE, SIZE, job.fps, count, frames)


def _center_square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    # Oversample so each zoom step crops real detail instead of upscaling a 512 px image.
    target = round(SIZE * ZOOM_END) + 2
    return image.crop((left, top, left + side, top + side)).resize((target, target), Image.Resampling.LANCZOS)


def _zoom_frames(
    square: Image.Image, count: int, reporter: StageReporter, frame_delay_s: float = 0.0
) -> Iterator[np.ndarray]:
    side = square.width
    for index in range(count):
        if frame_delay_s:
            time.sleep(frame_delay_s)
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
