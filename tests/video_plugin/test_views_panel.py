"""The panel's actions on the server: cancel, choose the current video, script limits and voices, written
scripts, the face check, and the runner capabilities they read.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.images import ImageFile
from django.urls import reverse
from PIL import Image as PILImage
from skimage import data as sample_images
from wagtail.images import get_image_model

from gpu_runner.protocol import MAX_IMAGE_PIXELS, PROTOCOL_VERSION, cancel_key, runner_key
from tests.factories import still_render_result
from video_plugin.editor import views
from video_plugin.editor.face_check import FaceCheck
from video_plugin.jobs import capabilities
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

from .conftest import publish_runner

pytestmark = pytest.mark.django_db


def post_json(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def finished_job(page, trigger=VideoJob.Trigger.PUBLISH):
    job = request_video(page, None, trigger)
    result = still_render_result(job.output_key)
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, result)
    return job


def test_cancel_marks_the_job_and_raises_the_runner_flag(world, client, redis):
    page = world.product["acme"]
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    url = reverse("video_plugin:cancel", args=[page.pk, job.job_id])
    for refused in (world.users[("editor", "acme")], world.users[("owner", "bluebird")]):
        client.force_login(refused)
        assert client.post(url).status_code == 403
    assert not redis.exists(cancel_key(job.job_id))

    client.force_login(world.users[("admin", "acme")])
    response = client.post(url)
    assert response.status_code == 200 and response.json()["runner_told"] is True
    job.refresh_from_db()
    assert job.status == VideoJob.Status.CANCELLED and "admin-acme" in job.error_message
    assert redis.exists(cancel_key(job.job_id)) and redis.ttl(cancel_key(job.job_id)) > 3600
    assert client.post(url).status_code == 409


def test_making_a_video_live_is_for_owners_and_admins(world, client):
    page = world.product["acme"]
    older, newer = finished_job(page), finished_job(page)
    assert VideoJob.objects.get(pk=newer.pk).is_current
    url = reverse("video_plugin:make_current", args=[page.pk, older.job_id])
    client.force_login(world.users[("editor", "acme")])
    assert client.post(url).status_code == 403
    client.force_login(world.users[("owner", "acme")])
    history = client.post(url).json()["history"]
    assert [entry["is_current"] for entry in history] == [False, True]
    assert VideoJob.objects.get(is_current=True).pk == older.pk


def test_generate_refuses_a_long_script_and_a_voice_no_runner_offers(world, client, redis, settings):
    page = world.product["acme"]
    url = reverse("video_plugin:generate", args=[page.pk])
    client.force_login(world.users[("admin", "acme")])
    response = post_json(client, url, {"script": "word " * 700})
    assert response.status_code == 400 and "shorten it to at most 3000" in response.json()["error"]

    publish_runner(redis, {"en": ["espeak:en-us"], "de": ["espeak:de"]})
    response = post_json(client, url, {"script": "Hello.", "voice": "edge:fr-FR-DeniseNeural"})
    assert response.status_code == 400 and "not offered by any online runner" in response.json()["error"]
    assert not VideoJob.objects.exists()
    response = post_json(client, url, {"script": "Hallo.", "voice": "espeak:de"})
    assert response.status_code == 202 and VideoJob.objects.get().voice == "espeak:de"


def test_status_reports_the_runner_and_queue_position(world, client, redis):
    first = request_video(world.product["bluebird"], None, VideoJob.Trigger.EDITOR)
    request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR)
    client.force_login(world.users[("editor", "acme")])
    url = reverse("video_plugin:status", args=[world.product["acme"].pk])
    state = client.get(url).json()
    assert state["runner"]["online"] is False and state["job"]["waiting_for_runner"] is True
    assert state["job"]["queue_position"] == 2 and state["queue_length"] == 2
    assert first.job_id not in json.dumps(state)  # the other organization's job is only counted

    publish_runner(redis, {"en": ["espeak:en-us"]})
    state = client.get(url).json()
    assert state["runner"]["online"] is True and state["job"]["waiting_for_runner"] is False
    assert state["runner"]["voices"] == {"en": ["espeak:en-us"]}


def test_written_scripts_follow_the_tone(world, client):
    page = world.product["acme"]
    client.force_login(world.users[("admin", "acme")])
    url = reverse("video_plugin:script", args=[page.pk])
    friendly = client.get(url, {"tone": "friendly"}).json()
    assert friendly["script"] == "Meet the Acme Lamp. A warm light. Yours for 24 dollars."
    assert friendly["seconds"] > 0
    assert client.get(url, {"tone": "enthusiastic"}).json()["script"].endswith("Grab yours today!")
    assert client.get(url, {"tone": "sarcastic"}).status_code == 400
    client.force_login(world.users[("admin", "bluebird")])
    assert client.get(url).status_code == 403


def saved_image(title, picture, collection):
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    image = get_image_model()(title=title, collection=collection)
    image.file = ImageFile(buffer, name=f"{title}.png")
    image.save()
    return image


def test_face_check_finds_one_face_and_warns_otherwise(world, client):
    # OpenCV is the plugin's optional [face-check] extra; the version matrix runs without it.
    pytest.importorskip("cv2", reason="the face check needs the plugin's [face-check] extra (OpenCV)")
    collection = world.orgs["acme"].collection
    portrait = saved_image("portrait", PILImage.fromarray(sample_images.astronaut()), collection)
    blank = saved_image("blank", PILImage.new("RGB", (200, 200), (90, 90, 90)), collection)
    elsewhere = saved_image("other", PILImage.new("RGB", (10, 10)), world.orgs["bluebird"].collection)
    url = reverse("video_plugin:face_check", args=[world.product["acme"].pk])
    client.force_login(world.users[("admin", "acme")])
    assert client.get(url, {"image_id": portrait.pk}).json()["verdict"] == "ok"
    verdict = client.get(url, {"image_id": blank.pk}).json()
    assert verdict["verdict"] == "no_face" and not verdict["usable"] and "blank" in verdict["message"]
    assert client.get(url, {"image_id": elsewhere.pk}).status_code == 400


def test_face_check_says_whose_presenter_photo_it_is(world, client, monkeypatch):
    # The face itself is not this test's: the check is stubbed so it runs without OpenCV too.
    monkeypatch.setattr(views, "check_face", lambda image: FaceCheck("ok", "one face", faces=1))
    stranger = saved_image("stranger", PILImage.new("RGB", (64, 64)), world.orgs["acme"].collection)
    url = reverse("video_plugin:face_check", args=[world.product["acme"].pk])
    client.force_login(world.users[("editor", "acme")])

    ours = client.get(url, {"image_id": world.orgs["acme"].default_presenter_image_id}).json()
    assert ours["verdict"] == "ok" and ours["presenter"]["usable"] is True
    theirs = client.get(url, {"image_id": stranger.pk}).json()["presenter"]
    assert theirs["usable"] is False and "is no presenter" in theirs["reason"]


def test_capabilities_merge_runners_and_say_when_unknown(redis):
    assert capabilities.read_capabilities().online is False
    publish_runner(redis, {"en": ["espeak:en-us"]})
    redis.set(
        runner_key("gpu-2"), json.dumps({"v": PROTOCOL_VERSION, "voices": {"en": ["edge:en-US-Jenny"]}})
    )
    redis.set(runner_key("broken"), "not json")
    merged = capabilities.read_capabilities()
    assert merged.online and len(merged.runners) == 2
    assert merged.voices == {"en": ["edge:en-US-Jenny", "espeak:en-us"]} and merged.offers_voice(
        "espeak:en-us"
    )


def test_capabilities_are_unknown_without_a_redis_broker_or_redis_url(world, settings):
    # The unit tests' stub broker has no Redis client, as a RabbitMQ broker has none: without the Redis of
    # the shared state the panel must say "unknown", not "offline", and name the setting to fix.
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "REDIS_URL": None}
    state = capabilities.read_capabilities()
    assert state.known is False and 'WAGTAIL_VIDEO["REDIS_URL"]' in state.problem


def test_capabilities_come_from_redis_url_when_the_broker_is_not_redis(world, settings):
    import redis as redis_client

    from tests.video_plugin.conftest import publish_runner

    client = redis_client.Redis.from_url(settings.REDIS_URL)
    publish_runner(client, {"en": ["espeak:en-us"]})
    try:
        settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "REDIS_URL": settings.REDIS_URL}
        state = capabilities.read_capabilities()
    finally:
        client.delete(*client.scan_iter(match="aivideo:runners:*"))
    assert state.known is True and state.online and state.voices == {"en": ["espeak:en-us"]}


# 11000×11000 pixels (121 megapixels) of one colour compress to a few kilobytes. Pillow warns of a
# decompression bomb above 89 megapixels (its error comes only at twice that) when Django reads the size.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_face_check_gives_the_runners_size_limit_before_looking_for_a_face(world, client, monkeypatch):
    monkeypatch.setattr(
        "video_plugin.editor.face_check.face_detector", lambda: pytest.fail("looked for a face anyway")
    )
    huge = saved_image("billboard", PILImage.new("1", (11000, 11000)), world.orgs["acme"].collection)
    client.force_login(world.users[("admin", "acme")])
    url = reverse("video_plugin:face_check", args=[world.product["acme"].pk])
    verdict = client.get(url, {"image_id": huge.pk}).json()
    assert verdict["verdict"] == "too_large" and not verdict["usable"]
    assert verdict["message"] == (
        f"Image 'billboard' is 11000×11000 pixels (121 megapixels); the limit is "
        f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels. Upload a smaller photo."
    )


def test_face_check_says_it_is_unavailable_without_opencv(world, client, monkeypatch):
    monkeypatch.setattr("video_plugin.editor.face_check.face_detector", lambda: None)
    image = saved_image("blank", PILImage.new("RGB", (20, 20)), world.orgs["acme"].collection)
    client.force_login(world.users[("admin", "acme")])
    url = reverse("video_plugin:face_check", args=[world.product["acme"].pk])
    verdict = client.get(url, {"image_id": image.pk}).json()
    assert verdict["verdict"] == "unavailable" and not verdict["usable"]
    assert "wagtail-ai-video[face-check]" in verdict["message"]
