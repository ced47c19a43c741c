"""What the panel's status JSON says of a job beyond its state: what was spoken, what asked for it and who,
and durations written the player's way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import ApiToken, VideoJob

pytestmark = pytest.mark.django_db


def finish(job: VideoJob, duration_s: float) -> None:
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, still_render_result(job.output_key, duration_s=duration_s))


def panel_status(client, world, page) -> dict:
    client.force_login(world.users[("admin", "acme")])
    response = client.get(reverse("video_plugin:status", args=[page.pk]))
    assert response.status_code == 200
    return response.json()


def test_a_job_started_on_publish_shows_its_script_trigger_and_publisher(world, client):
    page = world.product["acme"]
    publisher = world.users[("editor", "acme")]
    publisher.first_name, publisher.last_name = "Ann", "Editor"
    publisher.save()
    job = request_video(page, publisher, VideoJob.Trigger.PUBLISH, script="Salt & pepper: 2 < 3.")

    shown = panel_status(client, world, page)["job"]

    assert shown["script"] == "Salt & pepper: 2 < 3."
    assert shown["trigger"] == "publish" and shown["requested_by"] == "Ann Editor"
    assert shown["requested_text"] == "Asked on publish by Ann Editor."
    assert shown["job_id"] == job.job_id and shown["status"] == "queued"  # the existing fields stay


def test_the_history_says_what_each_video_spoke_and_what_asked_for_it(world, client):
    page = world.product["acme"]
    token, _ = ApiToken.issue(world.orgs["acme"].pk, "storefront sync")
    api_job = request_video(page, None, VideoJob.Trigger.API, script="Made through the API.", api_token=token)
    finish(api_job, duration_s=81.9)
    batch = request_video(page, world.users[("admin", "acme")], VideoJob.Trigger.BATCH, script="A batch one.")
    finish(batch, duration_s=8.9)

    state = panel_status(client, world, page)
    newest, oldest = state["history"]

    assert newest["script"] == "A batch one."
    assert newest["requested_text"] == "Asked by a batch run by admin-acme."
    assert oldest["script"] == "Made through the API."
    assert oldest["requested_text"] == "Asked through the API by API token 'storefront sync'."
    assert oldest["requested_by"] == "API token 'storefront sync'" and oldest["trigger"] == "api"
    # Whole seconds dropped, as the player shows 0:08 and 1:21; the number itself is still sent as it was.
    assert (newest["duration_text"], newest["duration_s"]) == ("8 s", 8.9)
    assert oldest["duration_text"] == "1 min 21 s"
    assert state["job"]["duration_text"] == "8 s"
