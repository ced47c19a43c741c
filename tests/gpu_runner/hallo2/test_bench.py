"""``bench hallo2``'s figures: a short render's denoising time extrapolated to the release's 40 steps."""

from __future__ import annotations

import pytest

from gpu_runner.renderers.hallo2.bench import BenchFigures, TimingReporter


class FinishedRender:
    """What BenchFigures reads from a renderer after a render: its loop timings and its device."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.last_timings = timings

    def describe(self) -> dict[str, object]:
        return {"device": "cpu"}


def figures(steps: int, denoising_s: float, total_s: float) -> BenchFigures:
    reporter = TimingReporter()
    reporter.seconds = {"face": 0.1, "audio": 0.2}
    renderer = FinishedRender({"reference_pass": 0.5, "denoising": denoising_s, "vae_decode": 1.0})
    return BenchFigures.of(
        renderer, reporter, total_s=total_s, frames=32, steps=steps, load_s=3.0, weights="random"
    )


def test_a_short_render_is_extrapolated_to_forty_steps_and_says_so():
    short = figures(steps=10, denoising_s=4.0, total_s=6.0)  # 2 clips × 10 steps of 0.2 s
    assert short.clips == 2 and short.video_s == pytest.approx(1.28)
    assert short.step_s == pytest.approx(0.2)
    # The 60 missing steps (30 per clip) at 0.2 s each join the 6 s measured.
    assert short.per_video_second == pytest.approx((6.0 + 60 * 0.2) / 1.28)
    assert short.extrapolated


def test_a_render_at_forty_steps_is_reported_as_measured():
    full = figures(steps=40, denoising_s=16.0, total_s=18.0)
    assert full.per_video_second == pytest.approx(18.0 / 1.28)
    assert not full.extrapolated
    assert full.stages["denoising"] == 16.0 and full.stages["total"] == 18.0
