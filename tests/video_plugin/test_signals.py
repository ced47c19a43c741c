"""The publish hook: a live publish in an opted-in organization requests a video; nothing else does."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from video_plugin.models import VideoJob


@pytest.mark.django_db
def test_publishing_a_live_page_requests_a_video_after_commit(
    world, sent_renders, django_capture_on_commit_callbacks
):
    page = world.product["acme"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page.save_revision(user=world.users[("admin", "acme")]).publish()
        assert sent_renders() == []
    for callback in callbacks:
        callback()
    job = VideoJob.objects.get(page=page)
    assert job.trigger == VideoJob.Trigger.PUBLISH and job.requested_by == world.users[("admin", "acme")]
    assert [r["job_id"] for r in sent_renders()] == [job.job_id]


@pytest.mark.django_db
def test_saving_a_draft_requests_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world.product["acme"].save_revision()
    assert not VideoJob.objects.exists()


@pytest.mark.django_db
def test_scheduled_publish_requests_nothing(world, django_capture_on_commit_callbacks):
    page = world.product["acme"]
    page.go_live_at = timezone.now() + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert not VideoJob.objects.exists()


@pytest.mark.django_db
def test_aliases_updated_by_a_publish_request_nothing(world, django_capture_on_commit_callbacks):
    page = world.product["acme"]
    alias = page.create_alias(update_slug="lamp-alias")
    # Publishing the original re-publishes its aliases, and page_published fires for each of them too.
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert list(VideoJob.objects.values_list("page_id", flat=True)) == [page.pk]
    assert not VideoJob.objects.filter(page=alias).exists()


@pytest.mark.django_db
def test_organization_without_the_flag_gets_no_video(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world.product["bluebird"].save_revision().publish()
    assert not VideoJob.objects.exists()
