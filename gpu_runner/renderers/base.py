"""The renderer interface: a presenter image and a voice track in, a stream of video frames out.

A renderer is constructed and :meth:`Renderer.load`-ed once, when the runner boots, and then renders many
jobs. Everything heavy (weights, CUDA context, compiled kernels) belongs in ``load``; ``render`` must not load
anything.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

FPS = 25


class RenderRefused(Exception):
    """The input cannot be rendered (no face, several faces, …).

    Not retried; the message is shown to the editor, so it says what to change.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JobCancelled(Exception):
    """The job was cancelled while it ran; raised from :meth:`StageReporter.check_cancelled`."""


@dataclass(frozen=True)
class Speech:
    """The voice track: mono float32 samples in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class RenderInput:
    image: Image.Image  # RGB, already validated and size-limited by the runner
    speech: Speech
    fps: int = FPS
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        """The video lasts exactly as long as the audio: ceil(seconds × fps) frames."""
        samples = len(self.speech.samples)
        return max(1, -(-samples * self.fps // self.speech.sample_rate))


@dataclass
class FrameStream:
    """Frames produced lazily, so a long video never sits whole in memory. Each frame is uint8 H×W×3 RGB."""

    width: int
    height: int
    fps: int
    frame_count: int
    frames: Iterator[np.ndarray]
    # Plain words on anything the renderer did instead of the normal path, recorded on the job's result.
    fallbacks: list[str] = field(default_factory=list)


class StageReporter(abc.ABC):
    """How a renderer tells the runner where it is. The runner turns this into ``video_event`` progress."""

    @abc.abstractmethod
    def enter(self, stage: str) -> None:
        """Start a stage (one of ``protocol.STAGES``); closes the timing of the previous one."""

    @abc.abstractmethod
    def progress(self, fraction: float) -> None:
        """Fraction of the current stage done, 0..1; cheap to call often (the runner throttles sending)."""

    @abc.abstractmethod
    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the job was cancelled. Call between stages and between clips."""


class NullReporter(StageReporter):
    """For local renders and benchmarks: records stage order, never cancels."""

    def __init__(self, on_progress: Callable[[str, float], None] | None = None) -> None:
        self.stages: list[str] = []
        self._on_progress = on_progress

    def enter(self, stage: str) -> None:
        self.stages.append(stage)

    def progress(self, fraction: float) -> None:
        if self._on_progress and self.stages:
            self._on_progress(self.stages[-1], fraction)

    def check_cancelled(self) -> None:
        return None


class Renderer(abc.ABC):
    """A way of turning a presenter image and speech into frames."""

    #: the name used in ``GPU_RUNNER_RENDERER`` and recorded on every job
    name: str = ""

    @abc.abstractmethod
    def load(self) -> None:
        """Load everything the renderer needs. Called once per process, at boot."""

    @abc.abstractmethod
    def weights(self) -> str:
        """A short, stable description of the weights that produce the video (recorded on the job)."""

    @abc.abstractmethod
    def render(self, job: RenderInput, reporter: StageReporter) -> FrameStream:
        """Render ``job``; raises :class:`RenderRefused` before expensive work, or :class:`JobCancelled`."""

    def describe(self) -> dict[str, Any]:
        """What ``/health`` shows about this renderer."""
        return {"name": self.name, "weights": self.weights()}
