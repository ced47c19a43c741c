"""Renditions: the runner's report recorded on the job, served by reuse, and shown with their URLs in the
editor's playback, API v2's ai_video, the job API and webhook payloads."""

from __future__ import annotations

from typing import Any

import pytest

from gpu_runner.protocol import (
    FORMATS,
    ProtocolError,
    VideoEvent,
    captions_key,
    poster_key,
    rendition_key,
    video_key,
)
from tests.factories import still_render_result
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.jobs.requests import request_video
from video_plugin.models import BrandKit, VideoJob, WebhookDelivery, WebhookEndpoint
from video_plugin.public.playback import playback_for

pytestmark = pytest.mark.django_db


def rendition_dicts(key: str, *formats: str, captions_burned: bool = False) -> list[dict[str, Any]]:
    """The runner's ``RenderResult.renditions`` for the main video at ``key``: one per format, beside it."""
    return [
        {
            "format": name,
            "key": rendition_key(key, name),
            "poster_key": poster_key(rendition_key(key, name)),
            "width": FORMATS[name].width,
            "height": FORMATS[name].height,
            "duration_s": 4.0,
            "bytes": 1_000_000 + index,
            "sha256": f"{index}" * 64,
            "layout": "presenter",
            "captions_burned": captions_burned,
            "encoder": "libx264",
        }
        for index, name in enumerate(formats)
    ]


def succeed(job: VideoJob, renditions: list[dict[str, Any]], audio: dict[str, Any] | None = None) -> VideoJob:
    """Apply the runner's succeeded report for ``job`` (through the contract's parser, as the worker does)."""
    result = still_render_result(
        job.output_key, duration_s=4.0, renditions=renditions, audio=audio or {}, fallbacks=["runner note"]
    )
    event = VideoEvent(job.job_id, 1, "succeeded", result=result)
    assert apply_event(VideoEvent.from_dict(event.to_dict()))
    job.refresh_from_db()
    return job


def test_the_job_records_the_runners_renditions_and_sound(world):
    job = request_video(
        world.product["acme"], None, VideoJob.Trigger.EDITOR, formats=["landscape", "vertical"]
    )
    audio = {"target_lufs": -16.0, "integrated_lufs": -16.3, "music": False}
    job = succeed(job, rendition_dicts(job.output_key, "landscape", "vertical"), audio)
    assert [r["format"] for r in job.renditions] == ["landscape", "vertical"]
    assert job.renditions[1]["key"] == rendition_key(job.output_key, "vertical")
    assert (job.renditions[1]["width"], job.renditions[1]["height"]) == (1080, 1920)
    assert job.audio == audio
    assert job.fallbacks == ["runner note"]


def test_a_rendition_outside_its_main_video_is_refused_by_the_contract(world, ask):
    job = ask(world.product["acme"], VideoJob.Trigger.EDITOR)
    stray = rendition_dicts(job.output_key, "landscape")
    stray[0]["key"] = rendition_key(video_key(world.orgs["bluebird"].pk, 1, "a" * 16), "landscape")
    event = VideoEvent(
        job.job_id, 1, "succeeded", result=still_render_result(job.output_key, renditions=stray)
    )
    with pytest.raises(ProtocolError, match="not beside its main video"):
        VideoEvent.from_dict(event.to_dict())


def test_playback_lists_renditions_in_format_order_with_labels_and_storage_urls(world, ask):
    job = ask(world.product["acme"], VideoJob.Trigger.EDITOR, formats=list(FORMATS))
    job = succeed(
        job, rendition_dicts(job.output_key, "vertical", "landscape", "square", captions_burned=True)
    )
    playback = playback_for(job)
    assert [(r.format, r.label, r.width, r.height) for r in playback.renditions] == [
        ("landscape", "Product page (16:9)", 1920, 1080),
        ("square", "Feed (1:1)", 1080, 1080),
        ("vertical", "Stories and shorts (9:16)", 1080, 1920),
    ]
    square = playback.renditions[1]
    assert square.url == f"/media/{rendition_key(job.output_key, 'square')}"
    assert square.poster_url == f"/media/{poster_key(rendition_key(job.output_key, 'square'))}"
    # Each format has captions of its own beside it, timed to it (the runner delays them by the intro card).
    assert square.captions_url == f"/media/{captions_key(rendition_key(job.output_key, 'square'))}"
    assert (square.captions_burned, square.encoder, square.duration_s) == (True, "libx264", 4.0)


def test_identical_input_serves_the_finished_renditions_without_rendering(world, sent_renders, ask):
    page = world.product["acme"]
    first = ask(page, VideoJob.Trigger.EDITOR, formats=["square"])
    first = succeed(first, rendition_dicts(first.output_key, "square"), {"target_lufs": -16.0})
    again = ask(page, VideoJob.Trigger.EDITOR, formats=["square"])
    assert (again.status, again.attempt, again.media_id) == (VideoJob.Status.SUCCEEDED, 0, first.media_id)
    assert again.renditions == first.renditions and again.audio == {"target_lufs": -16.0}
    assert again.brand_version == first.brand_version
    assert [render["job_id"] for render in sent_renders()] == [first.job_id]


def test_other_formats_or_a_changed_brand_kit_render_anew(world, sent_renders, ask):
    page = world.product["acme"]
    first = ask(page, VideoJob.Trigger.EDITOR)
    succeed(first, rendition_dicts(first.output_key, "landscape"))
    other_formats = ask(page, VideoJob.Trigger.EDITOR, formats=["landscape", "square"])
    assert other_formats.status == VideoJob.Status.QUEUED and other_formats.renditions == []
    VideoJob.objects.filter(pk=other_formats.pk).update(status=VideoJob.Status.CANCELLED)

    BrandKit.objects.create(organization_id=world.orgs["acme"].pk, primary_colour="#aa0000")
    new_look = ask(page, VideoJob.Trigger.EDITOR)
    assert new_look.status == VideoJob.Status.QUEUED and new_look.media_id is None
    assert new_look.brand_version != first.brand_version
    assert new_look.input_hash != first.input_hash
    sent = {render["job_id"]: render for render in sent_renders()}
    assert sent[new_look.job_id]["composition"]["brand"]["primary_colour"] == "#aa0000"


def test_the_webhook_payload_and_the_job_api_carry_the_renditions(world, settings, ask):
    settings.WAGTAILADMIN_BASE_URL = "https://shop.example"
    WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url="https://hooks.example/v", events=["video.succeeded"]
    )
    job = ask(world.product["acme"], VideoJob.Trigger.API, layout="social")
    succeed(job, rendition_dicts(job.output_key, "vertical", captions_burned=True))
    payload_job = WebhookDelivery.objects.get().payload["data"]["job"]
    vertical = rendition_key(job.output_key, "vertical")
    assert (payload_job["layout"], payload_job["formats"], payload_job["burn_captions"]) == (
        "social",
        ["vertical"],
        True,
    )
    assert payload_job["renditions"] == [
        {
            "format": "vertical",
            "width": 1080,
            "height": 1920,
            "url": f"https://shop.example/media/{vertical}",
            "poster_url": f"https://shop.example/media/{poster_key(vertical)}",
            "captions_url": f"https://shop.example/media/{captions_key(vertical)}",
            "captions_burned": True,
        }
    ]
    assert "renditions" not in payload_job["video"], "listed once, beside the video"


def test_the_notes_made_when_composing_stay_beside_the_runners_fallbacks(world, ask):
    job = ask(world.product["acme"], VideoJob.Trigger.EDITOR, layout="presenter_product")
    note = job.fallbacks[0]
    assert note.startswith("page 'Acme Lamp' has no product picture")
    job = succeed(job, rendition_dicts(job.output_key, "landscape"))
    assert job.fallbacks == [note, "runner note"]
