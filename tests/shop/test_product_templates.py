"""The product page template: a <video> with its poster when there is a current video, nothing otherwise."""

from __future__ import annotations

import pytest

from gpu_runner.protocol import poster_key
from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob


@pytest.mark.django_db
def test_product_page_shows_the_current_video(world, client):
    page = world.product["acme"]
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "Acme Lamp" in html and "<video" not in html

    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    attach_video(job, still_render_result(job.output_key, width=256, height=256))
    html = client.get(page.url).content.decode()
    assert f'poster="/media/{poster_key(job.output_key)}"' in html
    assert f'src="/media/{job.output_key}"' in html and "controls" in html
