"""The voice-preview view: served from storage once a runner made it, otherwise asked for once and answered
202; refused to non-admins, and for voices no online runner offers. Also how the panel states a still-image
video and a fallback voice.
"""

from __future__ import annotations

import json
import time

import dramatiq
import pytest
from django.urls import reverse

from gpu_runner.protocol import (
    PREVIEW_ACTOR,
    PREVIEW_QUEUE,
    PROTOCOL_VERSION,
    runner_key,
    voice_preview_info_key,
    voice_preview_key,
)
from video_plugin.editor import voice_previews
from video_plugin.editor.state import job_state
from video_plugin.jobs import capabilities
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

from .conftest import publish_runner

pytestmark = pytest.mark.django_db


def store_preview(folder, voice, voice_used=None, fallbacks=(), made_at=None):
    """Write what a runner stores for a preview of ``voice`` into the test's storage folder."""
    audio = folder / voice_preview_key(voice)
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(b"not really aac")
    record = {
        "v": PROTOCOL_VERSION,
        "voice": voice,
        "voice_used": voice_used or voice,
        "engine": (voice_used or voice).split(":")[0],
        "fallbacks": list(fallbacks),
        "sample": "Hello!",
        "duration_s": 2.5,
        "made_at": time.time() if made_at is None else made_at,
    }
    (folder / voice_preview_info_key(voice)).write_text(json.dumps(record))


def preview_messages(stub_broker):
    if PREVIEW_QUEUE not in stub_broker.queues:
        return []
    return [dramatiq.Message.decode(raw) for raw in stub_broker.queues[PREVIEW_QUEUE].queue]


def ask(client, page, voice):
    url = reverse("video_plugin:voice_preview", args=[page.pk])
    return client.post(url, json.dumps({"voice": voice}), content_type="application/json")


def test_a_missing_preview_is_asked_for_once_and_answered_202(world, client, redis, stub_broker):
    publish_runner(redis, {"en": ["espeak:en-us"], "de": ["espeak:de"]})
    client.force_login(world.users[("admin", "acme")])
    for _ in range(3):  # the panel asks again while it waits
        response = ask(client, world.product["acme"], "espeak:de")
        assert response.status_code == 202 and response.json() == {"ready": False, "voice": "espeak:de"}
    (message,) = preview_messages(stub_broker)
    assert message.actor_name == PREVIEW_ACTOR and message.kwargs["request"] == {"voice": "espeak:de", "v": 1}


def test_a_stored_preview_is_served_without_asking_a_runner(world, client, redis, stub_broker, video_storage):
    store_preview(video_storage, "espeak:de")
    client.force_login(world.users[("owner", "acme")])
    response = ask(client, world.product["acme"], "espeak:de")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] and body["audio_url"] == f"/media/{voice_preview_key('espeak:de')}"
    assert (
        body["is_fallback"] is False and body["fallback_note"] is None and body["voice_used"] == "espeak:de"
    )
    assert preview_messages(stub_broker) == []


def test_an_empty_voice_previews_the_organization_default(world, client, redis, stub_broker):
    publish_runner(redis, {"en": ["espeak:en-us"]})
    world.orgs["acme"].default_voice = "espeak:en-us"
    world.orgs["acme"].save()
    client.force_login(world.users[("admin", "acme")])
    assert ask(client, world.product["acme"], "").json()["voice"] == "espeak:en-us"


def test_a_fallback_preview_says_so_and_is_asked_for_again_when_old(
    world, client, redis, stub_broker, video_storage
):
    voice = "edge:en-GB-SoniaNeural"
    publish_runner(redis, {"en": [voice, "espeak:en-gb"]})
    note = f"voice {voice} was unavailable (offline); the offline voice espeak:en-gb was used instead"
    store_preview(video_storage, voice, voice_used="espeak:en-gb", fallbacks=[note])
    client.force_login(world.users[("admin", "acme")])
    body = ask(client, world.product["acme"], voice).json()
    assert body["is_fallback"] is True and body["voice_used"] == "espeak:en-gb"
    assert body["fallback_note"].startswith(
        f"{voice} is not available right now, so this is the fallback voice"
    )

    old = time.time() - voice_previews.FALLBACK_PREVIEW_MAX_AGE_S - 1
    store_preview(video_storage, voice, voice_used="espeak:en-gb", fallbacks=[note], made_at=old)
    assert ask(client, world.product["acme"], voice).status_code == 202
    assert len(preview_messages(stub_broker)) == 1


def test_previews_are_refused_to_editors_outsiders_and_for_unoffered_voices(
    world, client, redis, stub_broker
):
    publish_runner(redis, {"en": ["espeak:en-us"]})
    for user in (world.users[("editor", "acme")], world.users[("admin", "bluebird")]):
        client.force_login(user)
        assert ask(client, world.product["acme"], "espeak:en-us").status_code == 403
    client.force_login(world.users[("admin", "acme")])
    response = ask(client, world.product["acme"], "edge:fr-FR-DeniseNeural")
    assert response.status_code == 400 and "not offered by any online runner" in response.json()["error"]
    redis.delete(runner_key("gpu-1"))
    response = ask(client, world.product["acme"], "espeak:en-us")
    assert response.status_code == 409 and "no video runner is online" in response.json()["error"]
    assert preview_messages(stub_broker) == []


def test_a_still_video_says_it_is_no_talking_head_and_a_fallback_voice_is_named(world):
    page = world.product["acme"]
    job = request_video(page, None, VideoJob.Trigger.EDITOR, script="Hello.", voice="edge:en-GB-SoniaNeural")
    VideoJob.objects.filter(pk=job.pk).update(
        status=VideoJob.Status.SUCCEEDED,
        renderer_used="still",
        voice_engine="espeak",
        voice_used="espeak:en-gb",
    )
    job.refresh_from_db()
    state = job_state(job, capabilities.RunnerCapabilities(known=True))
    assert state["renderer_label"] == "Still image (no talking head)"
    assert state["voice_note"] == (
        "The voice edge:en-GB-SoniaNeural was not available, "
        "so the offline voice espeak:en-gb speaks instead."
    )
    VideoJob.objects.filter(pk=job.pk).update(voice_used="edge:en-GB-SoniaNeural", renderer_used="hallo2")
    job.refresh_from_db()
    state = job_state(job, capabilities.RunnerCapabilities(known=True))
    assert state["voice_note"] is None and state["renderer_label"] == "Talking head"
