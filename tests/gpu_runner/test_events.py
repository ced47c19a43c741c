"""The job reporter: progress throttled to one event a second, stage timings, rate-limited cancel checks."""

from __future__ import annotations

import pytest

from gpu_runner.events import JobReporter
from gpu_runner.protocol import JobError, VideoEvent
from gpu_runner.renderers.base import JobCancelled


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def reporter(clock: Clock, cancelled: list[bool] | None = None) -> tuple[JobReporter, list[VideoEvent]]:
    sent: list[VideoEvent] = []
    checks = cancelled if cancelled is not None else []

    def is_cancelled() -> bool:
        checks.append(True)
        return len(checks) > 1

    return JobReporter("job-1", 3, sent.append, is_cancelled, clock), sent


def test_progress_is_throttled_and_carries_an_eta() -> None:
    clock = Clock()
    job, sent = reporter(clock)
    job.started()
    job.enter("render")
    for step in range(1, 100):
        clock.now += 0.05  # 20 updates a second
        job.progress(step / 100)
    progress = [event for event in sent if event.type == "progress"]
    assert 4 <= len(progress) <= 6  # about 5 s of work, one event a second
    last = progress[-1]
    assert last.stage == "render" and 0 < last.fraction < 1
    expected_eta = (clock.now - 100.0) * (1 - last.fraction) / last.fraction
    assert last.eta_s == pytest.approx(expected_eta, rel=0.3)
    assert all(event.attempt == 3 and event.job_id == "job-1" for event in sent)
    # Every event is valid under the contract the plugin parses with.
    assert [VideoEvent.from_dict(event.to_dict()) for event in sent] == sent


def test_stage_timings_accumulate_and_failure_names_the_stage() -> None:
    clock = Clock()
    job, sent = reporter(clock)
    job.enter("tts")
    clock.now += 2
    job.enter("render")
    clock.now += 3
    job.enter("tts")  # a renderer may come back to a stage
    clock.now += 1
    job.info["voice"] = "espeak:en-us"
    job.failed(JobError("tts_failed", "boom"))
    assert job.timings == {"tts": 3.0, "render": 3.0}
    assert sent[-1].type == "failed" and sent[-1].stage == "tts"
    # The timings travel with the failure, so the job record shows how far it got.
    assert sent[-1].info == {"voice": "espeak:en-us", "timings": {"tts": 3.0, "render": 3.0}}


def test_cancel_is_checked_at_most_once_a_second() -> None:
    clock = Clock()
    checks: list[bool] = []
    job, _ = reporter(clock, checks)
    job.check_cancelled()
    job.check_cancelled()
    assert len(checks) == 1
    clock.now += 1.0
    with pytest.raises(JobCancelled, match="job-1"):
        job.check_cancelled()
