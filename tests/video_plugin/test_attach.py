"""attach_video: one Media in the org's collection, pointing at the runner's key, nothing uploaded."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage, default_storage

from gpu_runner.protocol import ProtocolError, poster_key
from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob


def result_for(job, key=None):
    return still_render_result(key or job.output_key, duration_s=3.0, width=512, height=640, bytes=10)


@pytest.fixture
def job(world):
    # A publish's video goes live when ready (an editor's waits for the next publish: test_going_live.py).
    return request_video(world.product["acme"], None, VideoJob.Trigger.PUBLISH)


@pytest.mark.django_db
def test_media_points_at_the_uploaded_key_in_the_org_collection_and_uploads_nothing(world, job, monkeypatch):
    def no_writes(*args, **kwargs):
        raise AssertionError("attaching must not write to storage")

    monkeypatch.setattr(FileSystemStorage, "_save", no_writes)
    media = attach_video(job, result_for(job))

    assert media.file.name == job.output_key
    assert media.thumbnail.name == poster_key(job.output_key)
    assert (media.type, media.duration, media.width, media.height) == ("video", 3.0, 512, 640)
    assert media.collection == world.orgs["acme"].collection
    assert not default_storage.exists(job.output_key)
    job.refresh_from_db()
    assert job.media == media and job.is_current


@pytest.mark.django_db
def test_attaching_twice_returns_the_same_media(job):
    first = attach_video(job, result_for(job))
    second = attach_video(job, result_for(job))
    assert first.pk == second.pk


@pytest.mark.django_db
def test_a_new_video_replaces_the_current_one(world, job):
    attach_video(job, result_for(job))
    job.status = VideoJob.Status.SUCCEEDED
    job.save()
    newer = request_video(world.product["acme"], None, VideoJob.Trigger.API, script="A newer script.")
    attach_video(newer, result_for(newer))
    assert list(VideoJob.objects.filter(is_current=True)) == [newer]


@pytest.mark.django_db
def test_a_key_the_job_was_not_given_is_refused(world, job):
    other_org = world.orgs["bluebird"].pk
    with pytest.raises(ProtocolError, match="was told to write"):
        attach_video(job, result_for(job, key=f"{other_org}/videos/ai-generated/1-{'a' * 16}.mp4"))
