"""Wagtail API v2: a product page's ai_video (every field and rendition, absolute URLs, null without a video),
and listings whose query count does not grow with the number of pages."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gpu_runner.protocol import RenderResult, VideoEvent, captions_key, poster_key, rendition_key
from shop.models import ProductPage
from tests.factories import still_render_result
from tests.video_plugin.test_renditions import rendition_dicts
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob


def render_result(job: VideoJob, captions: bool = True, **overrides) -> RenderResult:
    fields = {"voice_engine": "edge", "voice": "edge:en-US-JennyNeural", **overrides}
    return still_render_result(
        job.output_key,
        captions_key=captions_key(job.output_key) if captions else None,
        duration_s=4.0,
        width=512,
        height=512,
        **fields,
    )


def give_video(page, **result) -> VideoJob:
    """A job for ``page`` that succeeded with ``result``'s facts and a rendition of each requested format,
    applied as the events worker does."""
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    result.setdefault("renditions", rendition_dicts(job.output_key, *job.formats))
    succeeded = VideoEvent(job.job_id, job.attempt, "succeeded", result=render_result(job, **result))
    assert apply_event(VideoEvent.from_dict(succeeded.to_dict()))
    job.refresh_from_db()
    return job


def page_json(client, page):
    response = client.get(f"/api/v2/pages/{page.pk}/", HTTP_HOST="shop.example")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def api_host(settings):
    settings.ALLOWED_HOSTS = ["shop.example"]
    # Wagtail's default of 20 per response would split a 50-page listing.
    settings.WAGTAILAPI_LIMIT_MAX = 100


@pytest.mark.django_db
def test_ai_video_is_null_without_a_current_video(world, client, api_host):
    assert page_json(client, world.product["acme"])["ai_video"] is None


@pytest.mark.django_db
def test_ai_video_describes_the_current_video_with_absolute_urls(world, client, api_host):
    page = world.product["acme"]
    job = request_video(page, None, VideoJob.Trigger.EDITOR, formats=["square", "landscape"])
    renditions = rendition_dicts(job.output_key, "landscape", "square", captions_burned=True)
    signed = {"signed": True, "standard": "C2PA", "issuer": "Acme", "manifest": "urn:c2pa:1"}
    result = render_result(job, renditions=renditions, credentials=signed)
    succeeded = VideoEvent(job.job_id, job.attempt, "succeeded", result=result)
    assert apply_event(VideoEvent.from_dict(succeeded.to_dict()))
    job.refresh_from_db()
    data = page_json(client, page)
    video = data["ai_video"]
    assert video.pop("created_at") == job.media.created_at.isoformat()
    base = "http://shop.example/media/"
    VERIFY = "https://contentcredentials.org/verify?source="
    landscape, square = (rendition_key(job.output_key, name) for name in ("landscape", "square"))
    assert video == {
        "url": base + job.output_key,
        "poster_url": base + poster_key(job.output_key),
        "captions_url": base + captions_key(job.output_key),
        "mime_type": "video/mp4",
        "duration": 4.0,
        "width": 512,
        "height": 512,
        "voice": "edge:en-US-JennyNeural",
        "language": "en-US",
        "renditions": [
            {
                "format": "landscape",
                "width": 1920,
                "height": 1080,
                "url": base + landscape,
                "poster_url": base + poster_key(landscape),
                "captions_url": base + captions_key(landscape),
                "captions_burned": True,
            },
            {
                "format": "square",
                "width": 1080,
                "height": 1080,
                "url": base + square,
                "poster_url": base + poster_key(square),
                "captions_url": base + captions_key(square),
                "captions_burned": True,
            },
        ],
        "ai_generated": True,
        "label": "AI-generated",
        "credentials": {
            "standard": "C2PA",
            "signed": True,
            "verify_url": VERIFY + quote(base + job.output_key, safe=""),
        },
    }
    assert data["price"] == "24.00"


@pytest.mark.parametrize(
    ("engine", "voice", "language"),
    [
        ("espeak", "espeak:en-us", "en-US"),
        ("espeak", "espeak:de", "de"),
        ("espeak", "espeak:es-419", "es-419"),
        ("espeak", "espeak:cmn-latn-pinyin", "cmn-Latn"),
        ("espeak", "espeak:en-gb-x-rp", "en-GB"),
        ("edge", "edge:en-US-AriaNeural", "en-US"),
        ("edge", "edge:fil-PH-AngeloNeural", "fil-PH"),
        ("edge", "edge:zh-CN-shaanxi-XiaoniNeural", "zh-CN"),
    ],
)
@pytest.mark.django_db
def test_ai_video_names_the_voice_heard_once_and_its_language(
    world, client, api_host, engine, voice, language
):
    page = world.product["acme"]
    give_video(page, voice_engine=engine, voice=voice)
    video = page_json(client, page)["ai_video"]
    assert (video["voice"], video["language"]) == (voice, language)


def add_products(index, first: int, last: int) -> None:
    for number in range(first, last):
        page = index.add_child(
            instance=ProductPage(title=f"Product {number}", slug=f"product-{number}", price=Decimal("1.00"))
        )
        # Every other page has a video, so both branches of the field are serialized.
        if number % 2 == 0:
            give_video(page)


def listing(client, index) -> tuple[list[dict], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            f"/api/v2/pages/?type=shop.ProductPage&child_of={index.pk}&fields=ai_video&limit=100",
            HTTP_HOST="shop.example",
        )
    assert response.status_code == 200
    return response.json()["items"], len(queries)


@pytest.mark.django_db
def test_listing_with_ai_video_runs_the_same_queries_for_1_10_and_50_pages(world, client, api_host):
    index = world.index["acme"]
    give_video(world.product["acme"])
    queries_by_size = {}
    for first, last in ((1, 1), (1, 10), (10, 50)):
        add_products(index, first, last)
        items, queries = listing(client, index)
        queries_by_size[len(items)] = queries
        assert sum(item["ai_video"] is not None for item in items) == (last + 1) // 2
        # Each video carries its renditions (the organization's default: one 16:9) without a query of its own.
        assert {len(item["ai_video"]["renditions"]) for item in items if item["ai_video"]} == {1}
    assert sorted(queries_by_size) == [1, 10, 50]
    assert len(set(queries_by_size.values())) == 1, f"queries per listing size: {queries_by_size}"


@pytest.mark.django_db
def test_media_endpoint_is_not_exposed(world, client):
    assert client.get("/api/v2/media/").status_code == 404
