"""Captions are served from the site's own origin: the public page's track and the editor panel's player."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from gpu_runner.protocol import captions_key
from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nMeet the lamp.\n"

pytestmark = pytest.mark.django_db


def finished_video(page) -> VideoJob:
    """A succeeded job whose runner stored captions beside the MP4, made the page's current video."""
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    default_storage.save(captions_key(job.output_key), ContentFile(VTT))
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, still_render_result(job.output_key, captions_key=captions_key(job.output_key)))
    job.refresh_from_db()
    return job


def test_a_live_pages_current_captions_are_served_from_the_site(world):
    page = world.product["acme"]
    page.save_revision().publish()
    finished_video(page)

    response = Client().get(f"/video/pages/{page.pk}/captions.vtt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content == VTT and response["Cache-Control"].startswith("public")
    html = Client().get(page.url).content.decode()
    assert f'<track kind="captions" src="/video/pages/{page.pk}/captions.vtt"' in html


def test_an_unpublished_page_or_a_page_without_a_video_has_no_public_captions(world):
    page = world.product["acme"]
    assert Client().get(f"/video/pages/{page.pk}/captions.vtt").status_code == 404  # live, but no video
    finished_video(page)
    page.unpublish()
    assert Client().get(f"/video/pages/{page.pk}/captions.vtt").status_code == 404


def test_a_video_without_captions_gives_no_track_and_a_404(world):
    page = world.product["acme"]
    page.save_revision().publish()
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, still_render_result(job.output_key))
    assert Client().get(f"/video/pages/{page.pk}/captions.vtt").status_code == 404
    assert "<track" not in Client().get(page.url).content.decode()


def test_the_panel_player_reads_captions_through_the_admin_for_members_only(world, client):
    page = world.product["acme"]
    job = finished_video(page)
    url = f"/admin/video/pages/{page.pk}/jobs/{job.job_id}/captions.vtt"

    client.force_login(world.users[("editor", "acme")])
    status = client.get(f"/admin/video/pages/{page.pk}/status/").json()
    assert status["job"]["playback"]["captions_url"] == url
    response = client.get(url)
    assert response.status_code == 200 and response.content == VTT
    assert response["Cache-Control"].startswith("private")

    client.force_login(world.users[("owner", "bluebird")])
    assert client.get(url).status_code == 403
