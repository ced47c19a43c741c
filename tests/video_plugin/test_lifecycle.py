"""Applying video_event reports: state machine, idempotency, out-of-order, terminal states, the actor."""

from __future__ import annotations

import logging

import pytest
from wagtailmedia.models import get_media_model

from gpu_runner.protocol import EVENTS_QUEUE, ErrorCode, VideoEvent, poster_key
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob


@pytest.fixture
def job(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return request_video(world.product["acme"], world.users[("owner", "acme")], VideoJob.Trigger.EDITOR)


def event(job, type_, attempt=1, sent_at=0.0, **fields):
    """A report as the actor receives it: parsed and validated from its JSON form."""
    return VideoEvent.from_dict(
        {"v": 1, "job_id": job.job_id, "attempt": attempt, "type": type_, "sent_at": sent_at, **fields}
    )


def succeeded(job, attempt=1, sent_at=0.0):
    result = {
        "key": job.output_key,
        "poster_key": poster_key(job.output_key),
        "captions_key": None,
        "duration_s": 4.5,
        "width": 512,
        "height": 512,
        "bytes": 1000,
        "sha256": "0" * 64,
        "timings": {"tts": 0.1, "render": 2.0},
        "voice_engine": "espeak",
        "voice": "espeak:en-us",
        "renderer": "still",
        "weights": "none",
        "fallbacks": [],
    }
    return VideoEvent.from_dict(
        {
            "v": 1,
            "job_id": job.job_id,
            "attempt": attempt,
            "type": "succeeded",
            "result": result,
            "sent_at": sent_at,
        }
    )


@pytest.mark.django_db
def test_job_runs_through_its_stages_and_succeeds(job):
    assert apply_event(event(job, "started", sent_at=1.0, info={"renderer": "still"}))
    job.refresh_from_db()
    assert (
        job.status == VideoJob.Status.RUNNING and job.started_at is not None and job.renderer_used == "still"
    )

    assert apply_event(event(job, "progress", stage="render", fraction=0.5, eta_s=3.0, sent_at=2.0))
    job.refresh_from_db()
    assert (job.stage, job.fraction, job.eta_s) == ("render", 0.5, 3.0)

    assert apply_event(succeeded(job, sent_at=3.0))
    job.refresh_from_db()
    assert job.status == VideoJob.Status.SUCCEEDED and job.is_current and job.media is not None
    assert job.timings == {"tts": 0.1, "render": 2.0}
    assert (job.voice_engine, job.voice_used, job.weights) == ("espeak", "espeak:en-us", "none")


@pytest.mark.django_db
def test_repeated_succeeded_event_changes_nothing_and_creates_no_second_media(job):
    assert apply_event(succeeded(job))
    assert not apply_event(succeeded(job))
    assert get_media_model().objects.count() == 1


@pytest.mark.django_db
def test_terminal_states_stay_terminal(job):
    assert apply_event(event(job, "failed", error={"code": "no_face", "message": "no face in x.png"}))
    assert not apply_event(event(job, "progress", stage="render", fraction=0.9))
    assert not apply_event(succeeded(job))
    job.refresh_from_db()
    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.NO_FACE
    assert job.media is None and get_media_model().objects.count() == 0


@pytest.mark.django_db
def test_out_of_order_progress_is_ignored(job):
    assert apply_event(event(job, "progress", stage="encode", fraction=0.8, sent_at=5.0))
    assert not apply_event(event(job, "progress", stage="tts", fraction=0.1, sent_at=4.0))
    # A late "started" must not move a running job back.
    assert not apply_event(event(job, "started", sent_at=1.0))
    job.refresh_from_db()
    assert (job.stage, job.fraction) == ("encode", 0.8)


@pytest.mark.django_db
def test_reports_of_an_older_attempt_are_ignored_after_a_retry(job):
    assert apply_event(event(job, "progress", attempt=2, stage="tts", fraction=0.1, sent_at=10.0))
    assert not apply_event(event(job, "failed", attempt=1, error={"code": "internal", "message": "crash"}))
    job.refresh_from_db()
    assert job.status == VideoJob.Status.RUNNING and job.attempt == 2


@pytest.mark.django_db
def test_event_for_an_unknown_job_is_ignored(world):
    assert not apply_event(VideoEvent(job_id="nope", attempt=1, type="started"))


@pytest.mark.django_db
def test_actor_applies_a_valid_event_and_drops_a_malformed_one(job, caplog):
    from video_plugin.actors import video_event

    assert video_event.queue_name == EVENTS_QUEUE
    video_event.fn(event=event(job, "started").to_dict())
    job.refresh_from_db()
    assert job.status == VideoJob.Status.RUNNING

    with caplog.at_level(logging.ERROR, logger="video_plugin.actors"):
        video_event.fn({"v": 99, "job_id": job.job_id})
    assert [r.message for r in caplog.records if "dropped malformed video_event" in r.message]
    job.refresh_from_db()
    assert job.status == VideoJob.Status.RUNNING
