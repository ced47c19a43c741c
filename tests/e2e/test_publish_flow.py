"""Publishing a product page renders its video on the runner, stores it in S3 and shows it in the API."""

from __future__ import annotations

import io
import urllib.request
from decimal import Decimal

import av
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtailmedia.models import get_media_model

from gpu_runner.tts.espeak import EspeakEngine
from shop.models import Organization, ProductPage
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCRIPT = "Meet the field kettle. It boils a litre in four minutes, and it packs flat."


def espeak_seconds(script: str, voice: str) -> float:
    """The length of the voice audio, spoken here by the offline engine, apart from the runner's process."""
    engine = EspeakEngine()
    engine.load()
    return engine.synthesize(script, voice).speech.duration_s


def publish_new_product(organization: Organization, user) -> ProductPage:
    index = organization.index_page
    page = index.add_child(
        instance=ProductPage(
            title="Field Kettle",
            description="<p>A folding kettle for the trail.</p>",
            price=Decimal("42.00"),
            video_script=SCRIPT,
            live=False,
        )
    )
    page.save_revision(user=user).publish(user=user)
    return page


def test_publishing_a_product_page_attaches_its_video_everywhere(stack, client):
    call_command("seed_demo", stdout=io.StringIO())
    organization = Organization.objects.get(slug="acme")
    assert organization.auto_generate_on_publish
    admin = get_user_model().objects.get(username="admin-acme")

    page = publish_new_product(organization, admin)
    job = stack.wait_for_job(lambda job: job.page_id == page.pk and job.is_terminal)
    assert job.status == VideoJob.Status.SUCCEEDED, (job.error_code, job.error_message, stack.tail_logs())
    assert job.trigger == VideoJob.Trigger.PUBLISH
    assert (job.voice_engine, job.voice_used, job.renderer_used) == ("espeak", "espeak:en-us", "still")

    # The MP4 is under the organization's prefix, with the poster and captions beside it, and so is each
    # finished format the organization's brand kit asks publish jobs for (the demo's Acme: 16:9 and 1:1).
    prefix = f"{organization.pk}/videos/ai-generated/{page.pk}-"
    assert job.output_key.startswith(prefix)
    listed = stack.s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix)["Contents"]
    stem = job.output_key.removesuffix(".mp4")
    # Acme's kit asks for the presenter beside the product; this new page has no product picture yet, so the
    # job falls back to the presenter layout and says so.
    assert (job.layout, job.formats) == ("presenter", ["landscape", "square"])
    assert any("has no product picture" in note for note in job.fallbacks), job.fallbacks
    assert [(r["format"], r["width"], r["height"]) for r in job.renditions] == [
        ("landscape", 1920, 1080),
        ("square", 1080, 1080),
    ]
    assert {item["Key"] for item in listed} == {
        f"{stem}{part}.{extension}"
        for part in ("", ".landscape", ".square")
        for extension in ("mp4", "jpg", "vtt")
    }
    stored = stack.s3.get_object(Bucket=stack.bucket, Key=job.output_key)["Body"].read()

    # It decodes as H.264 + AAC at 25 fps and lasts as long as the voice.
    with av.open(io.BytesIO(stored)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        assert video.average_rate == 25
        frames = sum(1 for _ in container.decode(video=0))
    voice_seconds = espeak_seconds(SCRIPT, "en-us")
    assert abs(frames / 25 - voice_seconds) < 0.1

    # One Media, in the organization's Collection, pointing at the uploaded key.
    media = get_media_model().objects.get(pk=job.media_id)
    assert media.collection_id == organization.collection_id
    assert (media.type, media.file.name, media.thumbnail.name) == ("video", job.output_key, f"{stem}.jpg")
    assert abs(media.duration - voice_seconds) < 0.1 and (media.width, media.height) == (512, 512)
    assert job.is_current

    # The headless API shows the video, and its URL serves the very same bytes.
    body = client.get(f"/api/v2/pages/{page.pk}/").json()
    ai_video = body["ai_video"]
    assert ai_video["url"].endswith(job.output_key) and ai_video["poster_url"].endswith(f"{stem}.jpg")
    assert (ai_video["width"], ai_video["height"]) == (512, 512)
    with urllib.request.urlopen(ai_video["url"], timeout=10) as response:
        assert response.read() == stored


def test_a_page_of_an_organization_without_auto_generation_gets_no_job(stack):
    call_command("seed_demo", stdout=io.StringIO())
    organization = Organization.objects.get(slug="bluebird")
    assert not organization.auto_generate_on_publish
    admin = get_user_model().objects.get(username="admin-bluebird")

    page = publish_new_product(organization, admin)
    assert not VideoJob.objects.filter(page_id=page.pk).exists()
