"""Jobs nobody wants any more: deleting a page stops its job's render (the runner's cancel flag), and the
files a runner uploaded for a job cancelled or deleted meanwhile are removed from storage; a success for a job
this site never knew keeps its files."""

from __future__ import annotations

from pathlib import Path

import pytest
from wagtailmedia import get_media_model

from gpu_runner.protocol import VideoEvent, cancel_key, captions_key, poster_key, rendition_key
from tests.factories import still_render_result
from video_plugin.jobs.cancellation import cancel_job
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.models import VideoJob

pytestmark = pytest.mark.django_db


def uploaded(storage: Path, job: VideoJob) -> tuple[VideoEvent, list[Path]]:
    """The files a runner uploads for ``job`` (its main video and a square one, each with poster and
    captions), written to storage, and its success report naming them."""
    square = rendition_key(job.output_key, "square")
    videos = [job.output_key, square]
    files = [storage / name for video in videos for name in (video, poster_key(video), captions_key(video))]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"uploaded")
    rendition = {
        "format": "square",
        "key": square,
        "poster_key": poster_key(square),
        "width": 64,
        "height": 64,
        "duration_s": 2.0,
        "bytes": 8,
        "sha256": "0" * 64,
        "layout": "presenter",
        "captions_burned": False,
        "encoder": "libx264",
    }
    result = still_render_result(
        job.output_key, captions_key=captions_key(job.output_key), renditions=[rendition]
    )
    event = VideoEvent(job.job_id, 1, "succeeded", result=result)
    return VideoEvent.from_dict(event.to_dict()), files


def test_deleting_a_page_stops_its_queued_job_and_its_late_upload_is_removed(
    world, ask, redis, video_storage, django_capture_on_commit_callbacks
):
    page = world.product["acme"]
    job = ask(page, VideoJob.Trigger.EDITOR)
    assert job.status == VideoJob.Status.QUEUED
    report, files = uploaded(video_storage, job)
    media_before = get_media_model().objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        page.delete()  # the job row goes with its page

    assert redis.exists(cancel_key(job.job_id)), "the runner was not told to stop"
    assert apply_event(report) is False
    assert [path for path in files if path.exists()] == []
    assert get_media_model().objects.count() == media_before


def test_deleting_a_page_leaves_its_finished_videos_alone(
    world, ask, redis, video_storage, django_capture_on_commit_callbacks
):
    page = world.product["acme"]
    job = ask(page, VideoJob.Trigger.EDITOR)
    report, files = uploaded(video_storage, job)
    assert apply_event(report)
    media = VideoJob.objects.get(pk=job.pk).media

    with django_capture_on_commit_callbacks(execute=True):
        page.delete()

    # A finished video is the media library's now: it stays, with its files, and no flag is raised.
    assert not redis.exists(cancel_key(job.job_id))
    assert get_media_model().objects.filter(pk=media.pk).exists()
    assert all(path.exists() for path in files)


def test_a_cancelled_jobs_late_success_is_removed_from_storage(world, ask, redis, video_storage):
    job = ask(world.product["acme"], VideoJob.Trigger.EDITOR)
    report, files = uploaded(video_storage, job)
    assert cancel_job(job, "Ann").cancelled

    assert apply_event(report) is False

    job.refresh_from_db()
    assert (job.status, job.media) == (VideoJob.Status.CANCELLED, None)
    assert [path for path in files if path.exists()] == []


def test_a_success_for_a_job_this_site_never_knew_keeps_its_files(world, ask, redis, video_storage, caplog):
    job = ask(world.product["acme"], VideoJob.Trigger.EDITOR)
    report, files = uploaded(video_storage, job)
    VideoJob.objects.filter(pk=job.pk).delete()  # gone without a trace: no cancel flag says it was ours
    redis.delete(cancel_key(job.job_id))

    assert apply_event(report) is False

    assert all(path.exists() for path in files)
    assert f"video_event for unknown job {job.job_id}" in caplog.text
