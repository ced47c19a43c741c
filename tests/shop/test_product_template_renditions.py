"""The product page plays the rendition that fits the viewport: 9:16 on a tall screen, 1:1 on a near-square
one, else 16:9, and the main video when the job has no 16:9 rendition."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from gpu_runner.protocol import FORMATS, captions_key, poster_key, rendition_key
from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob
from video_plugin.public.playback import playback_for
from video_plugin.templatetags.video_plugin_tags import video_sources

pytestmark = pytest.mark.django_db

TALL = "(max-aspect-ratio: 3/4)"
NEAR_SQUARE = "(max-aspect-ratio: 5/4)"


def finished(page, names: list[str], burned: bool = False) -> VideoJob:
    """A current job of ``page`` with one rendition per format in ``names``."""
    job = request_video(page, None, VideoJob.Trigger.EDITOR, formats=names)
    renditions = []
    for name in names:
        key = rendition_key(job.output_key, name)
        renditions.append(
            {
                "format": name,
                "key": key,
                "poster_key": poster_key(key),
                "width": FORMATS[name].width,
                "height": FORMATS[name].height,
                "duration_s": 3.0,
                "bytes": 1000,
                "sha256": "2" * 64,
                "layout": "presenter",
                "captions_burned": burned,
                "encoder": "libx264",
            }
        )
    VideoJob.objects.filter(pk=job.pk).update(renditions=renditions)
    job.refresh_from_db()
    attach_video(
        job,
        still_render_result(
            job.output_key, width=512, height=512, captions_key="x.vtt", renditions=renditions
        ),
    )
    return job


def video_of(client, page) -> BeautifulSoup:
    page.save_revision().publish()
    return BeautifulSoup(client.get(page.url).content, "html.parser").select_one("video.product__video")


def test_every_format_is_a_source_for_its_viewport_with_the_16_9_one_for_any_other(world, client):
    page = world.product["acme"]
    job = finished(page, ["landscape", "square", "vertical"])
    base = f"/media/{job.output_key.removesuffix('.mp4')}"

    video = video_of(client, page)

    sources = [
        (s["src"], s.get("media"), s["data-poster"], s["data-width"], s["data-height"])
        for s in video.select("source")
    ]
    assert sources == [
        (f"{base}.vertical.mp4", TALL, f"{base}.vertical.jpg", "1080", "1920"),
        (f"{base}.square.mp4", NEAR_SQUARE, f"{base}.square.jpg", "1080", "1080"),
        (f"{base}.landscape.mp4", None, f"{base}.landscape.jpg", "1920", "1080"),
    ]
    # Without the script, the catch-all's poster and size.
    assert (video["poster"], video["width"], video["height"]) == (f"{base}.landscape.jpg", "1920", "1080")
    assert video.select_one("track[kind=captions]").has_attr("default")
    assert video.find_next("script")["src"] == "/static/video_plugin/js/video-sources.js"


def test_without_a_16_9_rendition_the_main_video_plays_on_wide_screens(world, client):
    page = world.product["acme"]
    job = finished(page, ["vertical"], burned=True)

    video = video_of(client, page)

    (vertical, main) = video.select("source")
    assert (vertical["media"], vertical["data-captions-burned"]) == (TALL, "true")
    assert vertical["src"].endswith(".vertical.mp4")
    assert main["src"] == f"/media/{job.output_key}" and not main.has_attr("media")
    assert video["poster"] == f"/media/{poster_key(job.output_key)}"
    assert (video["width"], video["height"]) == ("512", "512")


def test_captions_burned_into_the_fallback_are_not_shown_twice(world, client):
    page = world.product["acme"]
    finished(page, ["landscape"], burned=True)

    video = video_of(client, page)

    assert not video.select_one("track[kind=captions]").has_attr("default")


def test_a_job_without_renditions_plays_its_main_video_alone(world):
    page = world.product["acme"]
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    attach_video(job, still_render_result(job.output_key, width=256, height=256))

    (source,) = video_sources(playback_for(job))

    assert (source.url, source.media, source.format) == (f"/media/{job.output_key}", None, "main")
    assert (source.width, source.height) == (256, 256)


def test_each_source_points_the_captions_track_at_its_own_webvtt_timed_to_it(world, client, video_storage):
    page = world.product["acme"]
    job = finished(page, ["vertical"])
    # What the runner stores: the main video's cues, and the rendition's delayed by a 1 s intro card.
    (video_storage / job.output_key).parent.mkdir(parents=True, exist_ok=True)
    (video_storage / captions_key(job.output_key)).write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHi\n")
    rendition = rendition_key(job.output_key, "vertical")
    (video_storage / captions_key(rendition)).write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n")
    VideoJob.objects.filter(pk=job.pk).update(
        captions_key=captions_key(job.output_key), status=VideoJob.Status.SUCCEEDED
    )

    video = video_of(client, page)

    (vertical, main) = video.select("source")
    track = reverse("video_plugin_site:page_captions", args=[page.pk])
    assert video.select_one("track[kind=captions]")["src"] == track
    assert vertical["data-captions"] == f"{track}?format=vertical" and not main.has_attr("data-captions")
    assert b"00:00:01.000 --> 00:00:02.000" in client.get(vertical["data-captions"]).content
    assert b"00:00:00.000 --> 00:00:01.000" in client.get(track).content
    assert client.get(f"{track}?format=square").status_code == 404
