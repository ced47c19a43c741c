"""The job request path's script limit depends on the script's language: a Japanese page's script may be
shorter than an English one (``video_plugin.jobs.speech_time.script_limit``), and the job API answers a
too-long one with ``422 script_too_long`` naming the limit and the language."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import Locale

from gpu_runner.protocol import ErrorCode
from video_plugin.jobs.speech_time import script_limit
from video_plugin.models import ApiToken, VideoJob

pytestmark = pytest.mark.django_db
JOBS = "/api/video/v1/jobs/"


@pytest.fixture
def translating(settings: Any) -> None:
    """Wagtail i18n on, with English and Japanese pages."""
    settings.WAGTAIL_I18N_ENABLED = True
    settings.LANGUAGES = settings.WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("ja", "Japanese")]


def japanese(page: Any) -> Any:
    """``page`` translated into Japanese (its index page too)."""
    locale = Locale.objects.get_or_create(language_code="ja")[0]
    copy = page.copy_for_translation(locale, copy_parents=True).specific
    copy.title = "アクメのランプ"
    copy.save()
    return copy


def post_job(client: Any, token: str, body: dict[str, Any]) -> Any:
    return client.post(
        JOBS, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_the_japanese_limit_is_shorter_than_the_english_one():
    assert script_limit("espeak:ja", "ja") == 721
    assert script_limit("espeak:en-us", "en") == 3000


def test_a_japanese_pages_1000_character_script_is_refused_by_the_job_api_naming_the_limit(
    world, translating, client, sent_renders
):
    page = japanese(world.product["acme"])
    token = ApiToken.issue(world.orgs["acme"].pk, "acme automation")[1]

    response = post_job(client, token, {"page": page.pk, "script": "あ" * 1000, "voice": "espeak:ja"})

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == ErrorCode.SCRIPT_TOO_LONG
    assert "1000 characters" in error["message"]
    assert "shorten it to at most 721, the limit for Japanese" in error["message"]
    job = VideoJob.objects.get(job_id=error["job"])
    assert (job.status, job.error_code) == (VideoJob.Status.FAILED, ErrorCode.SCRIPT_TOO_LONG)
    assert job.error_message == error["message"]
    assert sent_renders() == []


def test_an_english_pages_1000_character_script_is_accepted(
    world, translating, client, sent_renders, django_capture_on_commit_callbacks
):
    page = world.product["acme"]
    token = ApiToken.issue(world.orgs["acme"].pk, "acme automation")[1]
    script = ("Warm light. " * 100)[:1000]

    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(client, token, {"page": page.pk, "script": script, "voice": "espeak:en-us"})

    assert response.status_code == 201, response.content
    assert (response.json()["status"], len(response.json()["script"])) == ("queued", 1000)
    assert len(sent_renders()) == 1


def test_the_panel_refuses_a_japanese_pages_1000_character_script_before_queueing(world, translating, client):
    page = japanese(world.product["acme"])
    client.force_login(world.users[("admin", "acme")])
    url = reverse("video_plugin:generate", args=[page.pk])

    response = client.post(url, json.dumps({"script": "あ" * 1000, "voice": "espeak:ja"}), "application/json")

    assert response.status_code == 400
    assert "1000 characters; shorten it to at most 721, the limit for Japanese" in response.json()["error"]
    assert not VideoJob.objects.exists()
    english = reverse("video_plugin:generate", args=[world.product["acme"].pk])
    script = ("Warm light. " * 100)[:1000]
    response = client.post(
        english, json.dumps({"script": script, "voice": "espeak:en-us"}), "application/json"
    )
    assert response.status_code == 202 and len(VideoJob.objects.get().script) == 1000
