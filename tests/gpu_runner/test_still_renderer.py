"""The still renderer: 512×512 frames, one per 1/25 s of speech, a gentle zoom, never a talking head."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gpu_runner.renderers import create_renderer
from gpu_runner.renderers.base import JobCancelled, NullReporter, RenderInput, Speech
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.settings import RunnerSettings


def speech(seconds: float, rate: int = 22050) -> Speech:
    return Speech(samples=np.zeros(int(seconds * rate), np.float32), sample_rate=rate)


def test_frames_match_the_audio_and_zoom_in(face_photo: Image.Image) -> None:
    renderer = create_renderer("still", RunnerSettings())
    renderer.load()
    reporter = NullReporter()
    job = RenderInput(image=face_photo.resize((640, 480)), speech=speech(1.01))
    stream = renderer.render(job, reporter)
    frames = list(stream.frames)
    assert (stream.width, stream.height, stream.fps) == (512, 512, 25)
    assert len(frames) == stream.frame_count == 26  # ceil(1.01 × 25)
    assert all(frame.shape == (512, 512, 3) and frame.dtype == np.uint8 for frame in frames)
    assert not np.array_equal(frames[0], frames[-1])  # the zoom moves
    assert reporter.stages == ["face", "render"]


def test_it_says_it_is_not_a_talking_head() -> None:
    assert StillRenderer().weights() == "none (still image, no talking head)"
    assert StillRenderer().describe() == {"name": "still", "weights": "none (still image, no talking head)"}


def test_unknown_renderer_names_the_choices() -> None:
    with pytest.raises(ValueError, match="still, hallo2"):
        create_renderer("sora", RunnerSettings())


def test_cancellation_stops_the_frames(face_photo: Image.Image) -> None:
    class Cancelling(NullReporter):
        def check_cancelled(self) -> None:
            raise JobCancelled("stop")

    stream = StillRenderer().render(RenderInput(image=face_photo, speech=speech(2)), Cancelling())
    with pytest.raises(JobCancelled):
        next(stream.frames)
