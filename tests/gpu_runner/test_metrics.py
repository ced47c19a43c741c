"""A runner's ``GET /metrics``: its own figures and Dramatiq's, moved by real jobs on real Redis."""

from __future__ import annotations

import json
import sys
import time
import types
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from gpu_runner.events import broker_publisher
from gpu_runner.health import HealthServer
from gpu_runner.jobs import JobEnvironment
from gpu_runner.messaging import send
from gpu_runner.metrics import RunnerMetrics
from gpu_runner.protocol import EVENTS_QUEUE, RENDER_ACTOR, RENDER_QUEUE, VideoEvent, video_key
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.settings import RunnerSettings
from gpu_runner.storage import LocalStorage
from gpu_runner.worker import Runner, build_broker, register_actor, start_worker
from tests.factories import render_request
from tests.scrape import Scrape, scrape

# Distinctive enough that finding any of them in a scrape means something leaked into a label.
SCRIPT = "Quillon Marveldine presents the zephyr-grey teapot."
PRESENTER_KEY = "7/images/quillon-marveldine.jpg"


class MeteredRunner:
    """A runner consuming the render lanes with Dramatiq's middleware on its broker, and its /metrics URL."""

    def __init__(self, redis_url: str, storage_root: Path, speech_service: Any) -> None:
        settings = RunnerSettings(redis_url=redis_url, storage_url=str(storage_root))
        self.broker = build_broker(settings)
        env = JobEnvironment(settings, LocalStorage(storage_root), speech_service, StillRenderer())
        self.redis = redis.Redis.from_url(redis_url)
        self.runner = Runner(env, broker_publisher(self.broker), self.redis)
        self.runner.load()
        register_actor(self.broker, self.runner, settings)
        env.metrics.count_messages(self.broker)
        self.health = HealthServer(self.runner.health, "127.0.0.1", 0, metrics=env.metrics.exposition)
        self.health.start()
        self.worker = start_worker(self.broker, settings.poll_ms)
        self.events = self.broker.consume(EVENTS_QUEUE, prefetch=50, timeout=100)
        self.url = f"http://127.0.0.1:{self.health.port}/metrics"

    def run(self, **changes: Any) -> VideoEvent:
        """Send a job (a valid one, with ``changes``) to the interactive lane and return its last event."""
        request = render_request(
            **{
                "job_id": uuid.uuid4().hex[:12],
                "image_key": PRESENTER_KEY,
                "script": SCRIPT,
                "output_key": video_key(7, 3, uuid.uuid4().hex[:16]),
                **changes,
            }
        )
        send(self.broker, request.envelope("editor"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = next(self.events)
            if message is None:
                continue
            self.events.ack(message)
            event = VideoEvent.from_dict(message.kwargs["event"])
            if event.job_id == request.job_id and event.type in ("succeeded", "failed", "cancelled"):
                return event
        raise AssertionError(f"job {request.job_id} did not end within 60 s")

    def close(self) -> None:
        self.worker.stop()
        self.health.stop()
        self.events.close()
        self.broker.close()
        self.redis.close()


@pytest.fixture
def metered(redis_url: str, tmp_path: Path, speech_service: Any, face_jpeg: bytes) -> Iterator[MeteredRunner]:
    root = tmp_path / "storage"
    (root / "7" / "images").mkdir(parents=True)
    (root / PRESENTER_KEY).write_bytes(face_jpeg)
    running = MeteredRunner(redis_url, root, speech_service)
    yield running
    running.close()


def test_a_job_moves_renders_stages_fallbacks_and_dramatiqs_figures(metered: MeteredRunner) -> None:
    before = scrape(metered.url)
    # An online voice this machine cannot reach: the job succeeds on the offline voice, a "voice" fallback.
    event = metered.run(voice="edge:en-GB-SoniaNeural")
    assert event.type == "succeeded" and event.result is not None and len(event.result.fallbacks) == 1
    after = scrape(metered.url)

    assert after.moved(before, "video_runner_renders_total", renderer="still", outcome="succeeded") == 1
    assert after.moved(before, "video_runner_renders_total", renderer="still", outcome="failed") == 0
    assert set(event.result.timings) >= {"tts", "render", "encode", "upload"}
    for stage in event.result.timings:
        assert after.moved(before, "video_runner_stage_seconds_count", stage=stage) == 1, stage
        # The seconds observed are the job's own: those it reported, and for the last stage (still open when
        # the result was built) its close too.
        observed = after.moved(before, "video_runner_stage_seconds_sum", stage=stage)
        assert event.result.timings[stage] - 1e-6 <= observed < event.result.timings[stage] + 5, stage
    assert after.moved(before, "video_runner_fallbacks_total", kind="voice") == 1
    assert after.value("video_runner_jobs_in_flight") == 0
    # Dramatiq's own middleware counted the message on the interactive lane.
    lane = {"queue_name": RENDER_QUEUE, "actor_name": RENDER_ACTOR}
    assert after.moved(before, "dramatiq_messages_total", **lane) == 1
    assert after.moved(before, "dramatiq_message_errors_total", **lane) == 0
    assert after.moved(before, "dramatiq_message_duration_milliseconds_count", **lane) == 1
    assert after.value("dramatiq_messages_inprogress", **lane) == 0


def test_a_failed_job_counts_its_error_code(metered: MeteredRunner) -> None:
    before = scrape(metered.url)
    event = metered.run(image_key="7/images/not-there.jpg")
    assert event.type == "failed" and event.error is not None
    after = scrape(metered.url)
    assert after.moved(before, "video_runner_failures_total", code=event.error.code) == 1
    assert after.moved(before, "video_runner_renders_total", renderer="still", outcome="failed") == 1
    assert after.moved(before, "video_runner_renders_total", renderer="still", outcome="succeeded") == 0
    # It failed before any stage: no stage was timed.
    assert after.moved(before, "video_runner_stage_seconds_count", stage="tts") == 0


def test_a_scrape_names_no_job_script_image_or_voice(metered: MeteredRunner) -> None:
    done = metered.run(voice="edge:en-GB-SoniaNeural")
    failed = metered.run(script="<speak>Quillon Marveldine</speak>", image_key="7/images/quillon-gone.jpg")
    text = scrape(metered.url).text
    assert "video_runner_renders_total" in text
    for secret in (
        done.job_id,
        failed.job_id,
        "Quillon",
        "Marveldine",
        "zephyr",
        "quillon",
        "SoniaNeural",
        "espeak:en",
        failed.error.message[:20],
    ):
        assert secret not in text, secret


def test_health_stays_beside_metrics(metered: MeteredRunner) -> None:
    with urllib.request.urlopen(metered.url.replace("/metrics", "/health"), timeout=5) as response:
        assert json.load(response)["status"] == "ready"


def test_gpu_memory_is_read_at_scrape_time_where_torch_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = RunnerMetrics()
    if "torch" not in sys.modules:
        # The still path never imports torch, and neither does a scrape.
        assert "video_runner_gpu_memory_bytes" not in Scrape(metrics.exposition().decode()).names
        assert "torch" not in sys.modules
    allocated = {0: 3 * 2**30, 1: 512}
    cuda = types.SimpleNamespace(
        is_available=lambda: True,
        device_count=lambda: len(allocated),
        memory_allocated=lambda index: allocated[index],
    )
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    scraped = Scrape(metrics.exposition().decode())
    assert scraped.value("video_runner_gpu_memory_bytes", device="0") == 3 * 2**30
    allocated[0] = 2**30  # read again at the next scrape, not cached
    assert Scrape(metrics.exposition().decode()).value("video_runner_gpu_memory_bytes", device="0") == 2**30
    assert scraped.value("video_runner_gpu_memory_bytes", device="1") == 512


def test_an_unknown_fallback_kind_is_refused() -> None:
    refused = "unknown fallback kind 'layout'; use one of voice, renderer, compose"
    with pytest.raises(ValueError, match=refused):
        RunnerMetrics().fallbacks_noted("layout", ["a note"])
