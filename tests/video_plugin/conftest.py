"""Fixtures of the plugin's tests: the real Redis standing in for the broker's client, and a job request
whose render message is sent as a commit sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis as redis_client

from gpu_runner.protocol import PROTOCOL_VERSION, runner_key
from video_plugin.editor import voice_previews
from video_plugin.jobs import cancellation, capabilities
from video_plugin.jobs.requests import request_video


@pytest.fixture
def redis(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real Redis as the shared state's client, emptied of runner records, cancel and preview flags."""
    client = redis_client.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match="aivideo:*"):
        client.delete(key)
    for module in (capabilities, cancellation, voice_previews):
        monkeypatch.setattr(module, "shared_redis", lambda: client)
    yield client
    for key in client.scan_iter(match="aivideo:*"):
        client.delete(key)


def publish_runner(redis: Any, voices: dict[str, list[str]]) -> None:
    """A still runner's capabilities record offering ``voices`` (language → voice ids)."""
    record = {"v": PROTOCOL_VERSION, "runner_id": "gpu-1", "renderer": {"name": "still"}, "voices": voices}
    redis.set(runner_key("gpu-1"), json.dumps(record), ex=30)


@pytest.fixture
def ask(django_capture_on_commit_callbacks: Any) -> Any:
    """``request_video`` by nobody in particular, its render message sent as a commit sends it."""

    def requested(page: Any, trigger: str, **choices: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return request_video(page, None, trigger, **choices)

    return requested
