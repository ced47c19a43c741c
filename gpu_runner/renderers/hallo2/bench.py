"""``python -m gpu_runner bench hallo2 [--tiny|--full] [--steps N] [--seconds S] [--random-weights DIR]
[--json PATH]``: where a Hallo2 render spends its time.

Prints seconds per stage (face, audio, reference pass, denoising, VAE decode, total) for one render of the
astronaut portrait speaking, after a one-clip warm-up render, and the headline number: seconds of compute per
second of video at the release's 40 steps.

``--tiny`` (the default) builds tiny random-weight models: it checks the plumbing and runs anywhere, but its
timings say nothing about the real model; it renders about 7 s of speech. ``--full`` uses the released weights
in ``HALLO_MODELS_DIR`` when they are there, otherwise random weights at the released sizes (same compute,
nonsense pictures), drawn on the GPU and kept in ``--random-weights DIR`` for the next run when given; it is
meant for a GPU and renders a short video (two clips, 10 steps), so that a GPU lent for minutes spends them
measuring rather than setting up. When fewer than 40 steps are rendered, the denoising time per step is
extrapolated to 40 (the output says so): every step costs the same. For scale: users report about 48 s of
compute per video-second for the reference code on an RTX 4090 at 40 steps.

What makes ours faster than the reference at equal settings (fp16, 40 steps, CFG 3.5):
- every attention runs on PyTorch SDPA (flash / memory-efficient kernels) in fp16;
- the reference image's keys/values are projected once per clip, not once per frame and step, and the
  unconditional half skips the reference attention it would discard (see ``denoise.py``);
- the motion modules the released weights never ran are not computed;
- the reference image's VAE latent is computed once per job, not once per clip;
- the VAE decodes 8 frames per call instead of one.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ...tts import TTSError
from ...tts.espeak import EspeakEngine
from ..base import FPS, RenderInput, Speech, StageReporter
from .audio_features import CLIP_LENGTH
from .scheduler import DEFAULT_STEPS
from .weights import ModelsMissing, check_models_dir

if TYPE_CHECKING:
    from .renderer import Hallo2Renderer

BENCH_SCRIPT = (
    "Meet the new trail shoe: light, waterproof and built for long days outside. It grips on wet rock and "
    "dries overnight."
)
BENCH_VOICE = "en-us"
TINY_STEPS = 4
# --full renders two clips of 10 steps: enough to time a step after the warm-up, short enough for a lent GPU.
FULL_STEPS = 10
FULL_SECONDS = 2 * CLIP_LENGTH / FPS


class TimingReporter(StageReporter):
    """Wall-clock seconds per stage, as the runner's reporter measures them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stage: str | None = None
        self._since = 0.0

    def enter(self, stage: str) -> None:
        self.close()
        self._stage, self._since = stage, time.perf_counter()

    def close(self) -> None:
        """End the current stage's timing."""
        if self._stage is not None:
            self.seconds[self._stage] = self.seconds.get(self._stage, 0.0) + time.perf_counter() - self._since
            self._stage = None

    def progress(self, fraction: float) -> None:
        return None

    def check_cancelled(self) -> None:
        return None


def bench_speech() -> tuple[Speech, str]:
    """About 7 s of speech from the offline voice (libespeak-ng), or a synthetic voiced signal when it is
    missing (said so)."""
    engine = EspeakEngine()
    try:
        engine.load()
        return engine.synthesize(BENCH_SCRIPT, BENCH_VOICE).speech, f"espeak:{BENCH_VOICE} speech"
    except TTSError as exc:
        reason = str(exc)
    rate = 16_000
    t = np.arange(7 * rate) / rate
    # Fallback: a 140 Hz buzz with a 4 Hz syllable-like envelope, so wav2vec2 still sees voice-like input.
    samples = 0.3 * np.sin(2 * np.pi * 140 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
    return Speech(samples.astype(np.float32), rate), f"FALLBACK synthetic tone (no offline voice: {reason})"


def prepare_models_dir(full: bool, scratch: Path, random_weights: Path | None = None) -> tuple[Path, str]:
    """The models directory to bench and a description of its weights.

    Random full-size weights are drawn on the device the renderer will use (``GPU_RUNNER_DEVICE``), in
    ``random_weights`` when given (and reused from there when an earlier run left them), else in ``scratch``.
    """
    from gpu_runner.settings import RunnerSettings

    from .renderer import select_device
    from .tiny import FULL_SIZE, TINY, build_random_models_dir, reuse_or_build_random_models_dir

    if not full:
        return build_random_models_dir(scratch / "tiny", TINY), "tiny random weights"
    settings = RunnerSettings.from_env()
    configured = Path(settings.hallo_models_dir)
    try:
        return check_models_dir(configured, allow_noncommercial=True), f"released weights in {configured}"
    except ModelsMissing:
        pass
    device, _ = select_device(settings.device)
    target = random_weights or scratch / "full"
    print(f"no complete models dir at {configured}; random weights at full size (~5 GB) in {target}…")
    started = time.perf_counter()
    path, built = reuse_or_build_random_models_dir(target, FULL_SIZE, device=device)
    how = f"drawn on {device} in {time.perf_counter() - started:.1f} s" if built else "reused"
    return path, f"random weights, released sizes ({how})"


def main(args: argparse.Namespace) -> int:
    """Run the benchmark described in this module's docstring; returns the exit status."""
    from gpu_runner.settings import RunnerSettings

    from .renderer import Hallo2Renderer

    full = bool(getattr(args, "full", False))
    steps = getattr(args, "steps", None) or (FULL_STEPS if full else TINY_STEPS)
    seconds = getattr(args, "seconds", None) or (FULL_SECONDS if full else None)
    random_weights = getattr(args, "random_weights", None)
    with tempfile.TemporaryDirectory(prefix="hallo2-bench-") as folder:
        models_dir, weights = prepare_models_dir(full, Path(folder), random_weights and Path(random_weights))
        settings = replace(RunnerSettings.from_env(), hallo_models_dir=str(models_dir))
        renderer = Hallo2Renderer(settings)
        started = time.perf_counter()
        renderer.load()
        load_s = time.perf_counter() - started
        from skimage.data import astronaut

        image = Image.fromarray(astronaut())
        speech, speech_source = bench_speech()
        if seconds:
            speech = Speech(speech.samples[: max(1, int(seconds * speech.sample_rate))], speech.sample_rate)

        # Warm-up on one clip: CUDA context, cuDNN algorithm choice and allocator growth are boot costs.
        warm = Speech(speech.samples[: speech.sample_rate // 2], speech.sample_rate)
        for _ in renderer.render(RenderInput(image, warm, options={"steps": 2}), TimingReporter()).frames:
            pass

        reporter = TimingReporter()
        started = time.perf_counter()
        stream = renderer.render(RenderInput(image, speech, options={"steps": steps}), reporter)
        frames = sum(1 for _ in stream.frames)
        total_s = time.perf_counter() - started
        reporter.close()

    figures = BenchFigures.of(
        renderer, reporter, total_s=total_s, frames=frames, steps=steps, load_s=load_s, weights=weights
    )
    print(
        f"hallo2 bench: {weights}; {figures.device}; {steps} steps; {stream.width}×{stream.height}; "
        f"{speech_source}"
    )
    print(
        f"video {figures.video_s:.2f} s = {frames} frames in {figures.clips} clips; load {load_s:.1f} s; "
        f"one denoising step {figures.step_s * 1000:.1f} ms"
    )
    for name, value in figures.stages.items():
        print(f"  {name:<15} {value:9.2f} s")
    if steps == DEFAULT_STEPS:
        print(f"compute per video-second: {figures.per_video_second:.2f} s")
    else:
        print(
            f"compute per video-second at {DEFAULT_STEPS} steps: {figures.per_video_second:.2f} s "
            f"(EXTRAPOLATED from {steps} steps per clip: denoising time per step × {DEFAULT_STEPS}; "
            f"measured at {steps}: {total_s / figures.video_s:.2f} s)"
        )
    json_path = getattr(args, "json", None)
    if json_path:
        Path(json_path).write_text(json.dumps(asdict(figures), indent=2) + "\n")
    return 0


@dataclass(frozen=True)
class BenchFigures:
    """One benchmark render's figures, as printed and as ``--json`` writes them."""

    weights: str
    device: str
    steps: int
    clips: int
    frames: int
    video_s: float
    load_s: float
    stages: dict[str, float]
    step_s: float
    #: seconds of compute per second of video at DEFAULT_STEPS, extrapolated when ``steps`` differs
    per_video_second: float
    extrapolated: bool

    @classmethod
    def of(
        cls,
        renderer: Hallo2Renderer,
        reporter: TimingReporter,
        *,
        total_s: float,
        frames: int,
        steps: int,
        load_s: float,
        weights: str,
    ) -> BenchFigures:
        loop = renderer.last_timings
        clips = math.ceil(frames / CLIP_LENGTH)
        denoising_s = loop.get("denoising", 0.0)
        step_s = denoising_s / (clips * steps)
        # Every step costs the same, so the render at DEFAULT_STEPS differs only by the missing steps.
        total_at_default = total_s + step_s * clips * (DEFAULT_STEPS - steps)
        video_s = frames / FPS
        return cls(
            weights=weights,
            device=describe_device(renderer),
            steps=steps,
            clips=clips,
            frames=frames,
            video_s=video_s,
            load_s=load_s,
            stages={
                "face": reporter.seconds.get("face", 0.0),
                "audio": reporter.seconds.get("audio", 0.0),
                "reference pass": loop.get("reference_pass", 0.0),
                "denoising": denoising_s,
                "VAE encode": loop.get("vae_encode", 0.0),
                "VAE decode": loop.get("vae_decode", 0.0),
                "total": total_s,
            },
            step_s=step_s,
            per_video_second=total_at_default / video_s,
            extrapolated=steps != DEFAULT_STEPS,
        )


def describe_device(renderer: Hallo2Renderer) -> str:
    """The renderer's device; for a GPU its name with the PyTorch and CUDA versions, without which a figure
    means little."""
    device = str(renderer.describe().get("device"))
    if not device.startswith("cuda"):
        return device
    import torch

    card = torch.cuda.get_device_name(torch.device(device))
    return f"{card} (torch {torch.__version__}, CUDA {torch.version.cuda})"
