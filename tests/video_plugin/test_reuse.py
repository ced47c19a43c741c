"""Identical input reuses a finished video, unless the runners now render with other weights."""

from __future__ import annotations

import pytest

from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.capabilities import RunnerCapabilities
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = pytest.mark.django_db
SCRIPT = "Meet the lamp that warms your evenings."


def finished(page, weights: str) -> VideoJob:
    job = request_video(page, None, VideoJob.Trigger.EDITOR, script=SCRIPT)
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED, weights=weights)
    job.refresh_from_db()
    attach_video(job, still_render_result(job.output_key, weights=weights))
    return job


def runners_with_weights(monkeypatch, weights: str | None) -> None:
    records = [] if weights is None else [{"renderer": {"name": "still", "weights": weights}}]
    monkeypatch.setattr(
        "video_plugin.jobs.requests.read_capabilities",
        lambda: RunnerCapabilities(known=True, runners=records),
    )


def test_identical_input_reuses_the_video_when_the_runners_weights_match(world, monkeypatch, sent_renders):
    first = finished(world.product["acme"], weights="model-v1")
    runners_with_weights(monkeypatch, "model-v1")
    again = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR, script=SCRIPT)
    assert again.status == VideoJob.Status.SUCCEEDED and again.media_id == first.media_id
    assert (
        again.attempt == 0
        and sent_renders() == []
        or all(r["job_id"] != again.job_id for r in sent_renders())
    )


def test_a_video_of_older_weights_is_rendered_again(world, monkeypatch, sent_renders):
    finished(world.product["acme"], weights="model-v1")
    runners_with_weights(monkeypatch, "model-v2")
    again = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR, script=SCRIPT)
    assert again.status == VideoJob.Status.QUEUED and again.media_id is None


def test_without_runner_reports_the_input_hash_alone_decides(world, monkeypatch):
    first = finished(world.product["acme"], weights="model-v1")
    runners_with_weights(monkeypatch, None)
    again = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR, script=SCRIPT)
    assert again.media_id == first.media_id
