"""``GET /health`` and the capabilities record the Wagtail side reads from Redis."""

from __future__ import annotations

import importlib.util
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
from tests.factories import render_request


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
        # None where torch is not installed (the still renderer's install), else whether torch sees a GPU.
        torch = importlib.import_module("torch") if importlib.util.find_spec("torch") else None
        assert body["cuda_available"] is (torch.cuda.is_available() if torch else None)
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


class RecordingRedis:
    """Keeps every capabilities record written, in order (the publisher only sets and deletes its key)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def set(self, key: str, value: str, ex: int) -> None:
        self.records.append(json.loads(value))

    def delete(self, key: str) -> None:
        return None


def test_the_record_shows_the_runner_free_before_the_job_end_is_reported(
    tmp_path: Path, speech_service: Any, face_jpeg: bytes
) -> None:
    (tmp_path / "7" / "images").mkdir(parents=True)
    (tmp_path / "7" / "images" / "presenter.jpg").write_bytes(face_jpeg)
    recorder = RecordingRedis()
    # What the plugin would read from Redis at the moment each event reaches it.
    seen: list[tuple[str, str, str | None]] = []

    def publish(event: Any) -> None:
        latest = recorder.records[-1] if recorder.records else {"status": "none", "current_job": None}
        seen.append((event.type, latest["status"], latest["current_job"]))

    env = JobEnvironment(RunnerSettings(), LocalStorage(tmp_path), speech_service, StillRenderer())
    runner = Runner(env, publish=publish)
    runner.load()
    # An interval far longer than the test: only publishing on the job's start and end can update the record.
    publisher = CapabilitiesPublisher(recorder, runner.runner_id, runner.capabilities, interval_s=3600)
    runner.on_status_change(publisher.publish_now)
    request = render_request(job_id="statusjob")

    assert runner.run(request)
    assert seen[0] == ("started", "busy", "statusjob")
    assert seen[-1] == ("succeeded", "ready", None)
    assert recorder.records[-1]["status"] == "ready" and recorder.records[-1]["current_job"] is None
