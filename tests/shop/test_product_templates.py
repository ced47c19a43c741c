"""The product page template: a <video> with its poster when there is a current video, nothing otherwise."""

from __future__ import annotations

import pytest

from gpu_runner.protocol import RenderResult, poster_key
from video_plugin.attach import attach_video
from video_plugin.jobs import request_video
from video_plugin.models import VideoJob


@pytest.mark.django_db
def test_product_page_shows_the_current_video(world, client):
    page = world.product["acme"]
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "Acme Lamp" in html and "<video" not in html

    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    attach_video(
        job,
        RenderResult(
            key=job.output_key,
            poster_key=poster_key(job.output_key),
            captions_key=None,
            duration_s=2.0,
            width=256,
            height=256,
            bytes=1,
            sha256="0" * 64,
            timings={},
            voice_engine="espeak",
            voice="en-us",
            renderer="still",
            weights="none",
        ),
    )
    html = client.get(page.url).content.decode()
    assert f'poster="/media/{poster_key(job.output_key)}"' in html
    assert f'src="/media/{job.output_key}"' in html and "controls" in html
