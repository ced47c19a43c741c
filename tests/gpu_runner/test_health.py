"""``GET /health`` and the capabilities record the Wagtail side reads from Redis."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis

from gpu_runner.health import CapabilitiesPublisher, HealthServer
from gpu_runner.jobs import JobEnvironment
from gpu_runner.protocol import RUNNER_TTL_S, runner_key
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.settings import RunnerSettings
from gpu_runner.storage import LocalStorage
from gpu_runner.worker import Runner


@pytest.fixture
def runner(tmp_path: Path, speech_service: Any) -> Runner:
    env = JobEnvironment(RunnerSettings(), LocalStorage(tmp_path), speech_service, StillRenderer())
    return Runner(env, publish=lambda event: None)


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_reports_state(runner: Runner) -> None:
    server = HealthServer(runner.health, "127.0.0.1", 0)
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/health"
        status, before = get(url)
        assert status == 200 and before["status"] == "starting" and before["models_loaded"] is False
        runner.load()
        _, body = get(url)
        assert body["status"] == "ready" and body["models_loaded"] is True
        assert body["renderer"] == {"name": "still", "weights": "none (still image, no talking head)"}
        assert body["models"] == ["tts:edge", "tts:espeak", "renderer:still"]
        assert (body["jobs_done"], body["jobs_failed"], body["current_job"]) == (0, 0, None)
        assert isinstance(body["cuda_available"], bool) or body["cuda_available"] is None
        engines = {engine["name"]: engine for engine in body["tts"]}
        assert engines["espeak"]["online"] is False and engines["espeak"]["voices"] > 10
        assert engines["edge"]["online"] is True
        assert body["online"] is False  # no network here: Edge did not answer at boot
        assert body["uptime_s"] >= 0
        assert get(f"http://127.0.0.1:{server.port}/other")[0] == 404
    finally:
        server.stop()


def test_capabilities_are_published_with_a_ttl(runner: Runner, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    runner.load()
    publisher = CapabilitiesPublisher(client, runner.runner_id, runner.capabilities, interval_s=60)
    publisher.publish_once()
    key = runner_key(runner.runner_id)
    record = json.loads(client.get(key))
    assert 0 < client.ttl(key) <= RUNNER_TTL_S
    assert record["v"] == 1 and record["runner_id"] == runner.runner_id
    assert record["renderer"]["name"] == "still" and record["status"] == "ready"
    assert "espeak:en-us" in record["voices"]["en"]
    assert record["online"] is False and record["jobs_done"] == 0 and record["current_job"] is None
    publisher.start()
    publisher.stop()
    assert client.get(key) is None  # a stopped runner disappears at once
