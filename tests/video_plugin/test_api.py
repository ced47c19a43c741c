"""Wagtail API v2: a product page's ai_video, absolute for local storage, null without a video."""

from __future__ import annotations

import pytest

from gpu_runner.protocol import RenderResult, poster_key
from video_plugin.attach import attach_video
from video_plugin.jobs import request_video
from video_plugin.models import VideoJob


def page_json(client, page):
    response = client.get(f"/api/v2/pages/{page.pk}/", HTTP_HOST="shop.example")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_ai_video_is_null_without_a_current_video(world, client, settings):
    settings.ALLOWED_HOSTS = ["shop.example"]
    assert page_json(client, world.product["acme"])["ai_video"] is None


@pytest.mark.django_db
def test_ai_video_describes_the_current_video_with_absolute_urls(world, client, settings):
    settings.ALLOWED_HOSTS = ["shop.example"]
    page = world.product["acme"]
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    attach_video(
        job,
        RenderResult(
            key=job.output_key,
            poster_key=poster_key(job.output_key),
            captions_key=None,
            duration_s=4.0,
            width=512,
            height=512,
            bytes=1,
            sha256="0" * 64,
            timings={},
            voice_engine="espeak",
            voice="en-us",
            renderer="still",
            weights="none",
        ),
    )
    data = page_json(client, page)
    assert data["ai_video"] == {
        "url": f"http://shop.example/media/{job.output_key}",
        "poster_url": f"http://shop.example/media/{poster_key(job.output_key)}",
        "duration": 4.0,
        "width": 512,
        "height": 512,
    }
    assert data["price"] == "24.00"


@pytest.mark.django_db
def test_media_endpoint_is_not_exposed(world, client):
    assert client.get("/api/v2/media/").status_code == 404
