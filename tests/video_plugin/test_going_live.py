"""When a finished video goes live: editor videos wait for the page's next publish unless the organization
says otherwise; publish, batch and API videos go live when ready; *Make live* takes the right to publish."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob, VideoSiteSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def careful_defaults(request):
    """The organization or the site as a fresh install has it (the shared fixtures opt in to live at once)."""
    if "world" in request.fixturenames:
        organization = request.getfixturevalue("world").orgs["acme"]
        organization.editor_videos_live_at_once = False
        organization.save()
    if "site_world" in request.fixturenames:
        request.getfixturevalue("site_world")
        VideoSiteSettings.objects.update(editor_videos_live_at_once=False)


def finish_job(page, trigger):
    """A job of ``trigger`` for ``page``, rendered and attached as the events worker would."""
    script = f"A video made by {trigger}, number {VideoJob.objects.count()}."
    job = request_video(page, None, trigger, script=script)
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, still_render_result(job.output_key))
    job.refresh_from_db()
    return job


def live_video(client, page):
    """The video API v2 serves for the live page (what a shop front end shows)."""
    detail = client.get(f"/api/v2/pages/{page.pk}/?fields=ai_video").json()
    return detail["ai_video"]["url"] if detail["ai_video"] else None


def test_an_editor_video_waits_for_the_next_publish(world, client):
    page = world.product["acme"]
    on_publish = finish_job(page, VideoJob.Trigger.PUBLISH)
    assert on_publish.is_current  # a publish's own video goes live when ready
    before = live_video(client, page)

    draft_video = finish_job(page, VideoJob.Trigger.EDITOR)
    assert not draft_video.is_current and draft_video.waits_for_publish
    assert live_video(client, page) == before  # the live page still shows the published one

    world.orgs["acme"].auto_generate_on_publish = False  # only the waiting video, no new render
    world.orgs["acme"].save()
    page.save_revision(user=world.users[("owner", "acme")]).publish()
    draft_video.refresh_from_db()
    assert draft_video.is_current and not draft_video.waits_for_publish
    assert live_video(client, page) != before and draft_video.output_key in live_video(client, page)


def test_an_organization_may_put_editor_videos_live_at_once(world):
    world.orgs["acme"].editor_videos_live_at_once = True
    world.orgs["acme"].save()
    job = finish_job(world.product["acme"], VideoJob.Trigger.EDITOR)
    assert job.is_current and not job.waits_for_publish


@pytest.mark.parametrize("trigger", [VideoJob.Trigger.BATCH, VideoJob.Trigger.API])
def test_batch_and_api_videos_go_live_when_ready(world, trigger):
    assert finish_job(world.product["acme"], trigger).is_current


def test_only_the_newest_editor_video_waits(world):
    page = world.product["acme"]
    first, second = finish_job(page, VideoJob.Trigger.EDITOR), finish_job(page, VideoJob.Trigger.EDITOR)
    first.refresh_from_db()
    assert (first.waits_for_publish, second.waits_for_publish) == (False, True)


def test_the_panel_says_which_rule_applies(world, client):
    client.force_login(world.users[("owner", "acme")])
    editor = client.get(f"/admin/pages/{world.product['acme'].pk}/edit/").content.decode()
    assert "go live when the page is next published" in editor
    world.orgs["acme"].editor_videos_live_at_once = True
    world.orgs["acme"].save()
    editor = client.get(f"/admin/pages/{world.product['acme'].pk}/edit/").content.decode()
    assert "go live on the page as soon as they are ready" in editor


def test_make_live_needs_the_right_to_publish_the_page(site_world, client):
    """A video producer who may edit but not publish the page may generate, but not change the live page."""
    page = site_world.product["kitchen"]
    waiting = finish_job(page, VideoJob.Trigger.EDITOR)
    assert waiting.waits_for_publish
    url = reverse("video_plugin:make_current", args=[page.pk, waiting.job_id])
    client.force_login(site_world.users["producer"])
    refused = client.post(url)
    assert refused.status_code == 403 and "publish" in refused.json()["error"]
    editor = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert 'data-aivideo-panel-can-publish-value="false"' in editor
    client.force_login(site_world.superuser)
    history = client.post(url).json()["history"]
    assert history[0]["is_current"] and not history[0]["waits_for_publish"]
