"""The graceful stop's clock, its hand-back flag and its setting (processes: ``test_graceful_stop.py``)."""

from __future__ import annotations

import pytest

from gpu_runner.renderers.base import JobCancelled
from gpu_runner.settings import RunnerSettings, SettingsError
from gpu_runner.shutdown import CANCEL_MARGIN_S, GracefulStop, RunnerStopping, stop_budget_s


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_grace_starts_at_the_first_signal_and_a_second_does_not_extend_it() -> None:
    clock = Clock()
    stop = GracefulStop(grace_s=10, clock=clock)
    clock.now += 1000
    assert not stop.stopping and not stop.overdue()  # never overdue before a signal, however long it ran

    stop.begin()
    clock.now += 6
    stop.begin()
    clock.now += 3.9
    assert stop.stopping and not stop.overdue()
    stop.check("abc123")  # within the grace: no exception

    clock.now += 0.1
    assert stop.overdue()
    with pytest.raises(RunnerStopping, match="job abc123 still running 10 s after"):
        stop.check("abc123")


def test_runner_stopping_is_a_cancellation_to_renderers() -> None:
    # Renderers clean up on JobCancelled; the runner tells the two apart to requeue rather than cancel.
    assert issubclass(RunnerStopping, JobCancelled)


def test_a_handed_back_job_is_taken_once() -> None:
    stop = GracefulStop(grace_s=0)
    assert not stop.take_handed_back()
    stop.hand_back()
    assert stop.take_handed_back()
    assert not stop.take_handed_back()


def test_the_stop_budget_adds_the_cancel_margin_to_the_grace() -> None:
    assert stop_budget_s(120) == 120 + CANCEL_MARGIN_S


def test_stop_grace_setting() -> None:
    assert RunnerSettings.from_env({}).stop_grace_s == 120
    assert RunnerSettings.from_env({"GPU_RUNNER_STOP_GRACE_S": "7.5"}).stop_grace_s == 7.5
    with pytest.raises(SettingsError, match="GPU_RUNNER_STOP_GRACE_S=-1.0 must not be negative"):
        RunnerSettings.from_env({"GPU_RUNNER_STOP_GRACE_S": "-1"})
    with pytest.raises(SettingsError, match="GPU_RUNNER_STOP_GRACE_S='soon' is not a float"):
        RunnerSettings.from_env({"GPU_RUNNER_STOP_GRACE_S": "soon"})
