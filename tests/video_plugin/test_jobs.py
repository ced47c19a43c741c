"""request_video: defaults, joining a job in flight, failures recorded without sending, sending on commit."""

from __future__ import annotations

import hashlib

import pytest

from gpu_runner.protocol import VIDEO_KEY_RE, ErrorCode, RenderRequest
from tests.factories import make_presenter
from video_plugin.jobs.requests import VideoRequestError, request_video
from video_plugin.models import VideoJob


def presenter_key_of(organization, image, storage_folder):
    """The organization's copy of ``image`` that a job sends the runner: its bytes, under the org's prefix."""
    with image.open_file() as handle:
        data = handle.read()
    key = f"{organization.pk}/presenters/{hashlib.sha256(data).hexdigest()}.png"
    assert (storage_folder / key).read_bytes() == data
    return key


@pytest.mark.django_db
def test_message_is_sent_only_when_the_transaction_commits(
    world, sent_renders, django_capture_on_commit_callbacks, video_storage
):
    page = world.product["acme"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = request_video(page, world.users[("owner", "acme")], VideoJob.Trigger.EDITOR)
        assert sent_renders() == []
    assert len(callbacks) == 1
    callbacks[0]()

    [payload] = sent_renders()
    request = RenderRequest.from_dict(payload)
    org = world.orgs["acme"]
    assert request.job_id == job.job_id
    assert request.organization_id == org.pk and request.page_id == page.pk
    assert request.image_key == presenter_key_of(org, org.default_presenter_image, video_storage)
    assert request.voice == "espeak:en-us" and request.renderer == "still"
    assert request.script == "Meet the Acme Lamp. A warm light. Yours for 24 dollars."
    match = VIDEO_KEY_RE.match(request.output_key)
    assert match and match["org"] == str(org.pk) and match["page"] == str(page.pk)
    assert job.status == VideoJob.Status.QUEUED and job.output_key == request.output_key
    assert job.requested_by == world.users[("owner", "acme")]


@pytest.mark.django_db
def test_rolled_back_request_sends_nothing(world, sent_renders, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            request_video(world.product["acme"], None, VideoJob.Trigger.API)
            raise RuntimeError("publish failed")
    assert sent_renders() == []
    assert not VideoJob.objects.exists()


@pytest.mark.django_db
def test_second_request_joins_the_job_in_flight(world, sent_renders, django_capture_on_commit_callbacks):
    page = world.product["acme"]
    with django_capture_on_commit_callbacks(execute=True):
        first = request_video(page, None, VideoJob.Trigger.EDITOR)
        second = request_video(page, None, VideoJob.Trigger.PUBLISH)
    assert second.pk == first.pk
    assert len(sent_renders()) == 1


@pytest.mark.django_db
def test_explicit_script_voice_and_page_presenter_win_over_defaults(world, image_factory, video_storage):
    page = world.product["acme"]
    page.presenter_image = image_factory("page presenter", world.orgs["acme"].collection)
    make_presenter(page.presenter_image, world.orgs["acme"].pk)
    page.video_script = "Hello from the page."
    page.save()
    job = request_video(page, None, VideoJob.Trigger.EDITOR, voice="edge:en-US-JennyNeural")
    assert job.script == "Hello from the page."
    assert job.voice == "edge:en-US-JennyNeural"
    assert job.image_key == presenter_key_of(world.orgs["acme"], page.presenter_image, video_storage)


@pytest.mark.django_db
def test_missing_image_fails_with_a_message_saying_where_to_set_one(
    world, sent_renders, django_capture_on_commit_callbacks
):
    org = world.orgs["acme"]
    org.default_presenter_image = None
    org.save()
    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR)
    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.NO_IMAGE
    assert "Presenter image" in job.error_message and org.name in job.error_message
    assert job.finished_at is not None
    assert sent_renders() == []


@pytest.mark.django_db
def test_page_with_nothing_to_say_fails_with_empty_script(
    world, sent_renders, django_capture_on_commit_callbacks
):
    page = world.product["acme"]
    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(page, None, VideoJob.Trigger.EDITOR, script="   ")
    # An explicit blank script falls back to the composed one, which exists here.
    assert job.status == VideoJob.Status.QUEUED
    job.status = VideoJob.Status.CANCELLED
    job.save()

    page.title = " "
    page.description = ""
    page.save()
    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(page, None, VideoJob.Trigger.EDITOR)
    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.EMPTY_SCRIPT
    assert len(sent_renders()) == 1


@pytest.mark.django_db
def test_too_long_script_is_refused_before_sending(world, settings, sent_renders):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "MAX_SCRIPT_CHARS": 20}
    job = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR, script="x" * 21)
    assert job.error_code == ErrorCode.SCRIPT_TOO_LONG and "at most 20" in job.error_message


@pytest.mark.django_db
def test_page_outside_every_organization_is_refused(world):
    from wagtail.models import Site

    from shop.models import ProductPage

    stray = Site.objects.get(is_default_site=True).root_page.add_child(
        instance=ProductPage(title="Stray", price=1)
    )
    with pytest.raises(VideoRequestError, match="belongs to no organization"):
        request_video(stray, None, VideoJob.Trigger.EDITOR)


@pytest.mark.django_db
def test_unreachable_broker_marks_the_job_failed(world, monkeypatch, django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise ConnectionError("Connection refused")

    monkeypatch.setattr("video_plugin.jobs.requests.send_render_request", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR)
    job.refresh_from_db()
    assert job.status == VideoJob.Status.FAILED
    assert "Connection refused" in job.error_message and "REDIS_URL" in job.error_message
