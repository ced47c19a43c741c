"""``python -m gpu_runner serve`` as a real process: boots, reports ready, renders a job, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import redis
from dramatiq.brokers.redis import RedisBroker

from gpu_runner.messaging import send
from gpu_runner.protocol import EVENTS_QUEUE, RenderRequest, VideoEvent, video_key
from tests.services import free_port

REPO = Path(__file__).resolve().parents[2]


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                body = json.loads(response.read())
            if body["status"] == "ready":
                return body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the runner did not report ready")


def wait_for_record(client: redis.Redis, runner_id: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.exists(f"aivideo:runners:{runner_id}"):
            return True
        time.sleep(0.05)
    return False


def test_serve_renders_and_stops_cleanly(redis_url: str, tmp_path: Path, face_jpeg: bytes) -> None:
    storage = tmp_path / "storage"
    (storage / "5" / "images").mkdir(parents=True)
    (storage / "5" / "images" / "face.jpg").write_bytes(face_jpeg)
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "VIDEO_STORAGE_URL": str(storage),
        "GPU_RUNNER_HEALTH_PORT": str(port),
        "PYTHONPATH": str(REPO),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gpu_runner", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    broker = RedisBroker(url=redis_url)
    try:
        health = wait_ready(port, process)
        client = redis.Redis.from_url(redis_url)
        # The record is written by the status listener just after /health turns ready: moments, not a tick.
        assert wait_for_record(client, health["runner_id"], timeout=3), "no capabilities record after ready"
        request = RenderRequest(
            job_id=uuid.uuid4().hex[:10],
            organization_id=5,
            page_id=9,
            image_key="5/images/face.jpg",
            script="Welcome to the shop.",
            voice="espeak:en-us",
            renderer="still",
            output_key=video_key(5, 9, "0123456789abcdef"),
        )
        send(broker, request.envelope("editor"))
        consumer = broker.consume(EVENTS_QUEUE, prefetch=20, timeout=200)
        events: list[VideoEvent] = []
        deadline = time.monotonic() + 60
        while not (events and events[-1].type in ("succeeded", "failed")) and time.monotonic() < deadline:
            message = next(consumer)
            if message is not None:
                events.append(VideoEvent.from_dict(message.kwargs["event"]))
                consumer.ack(message)
        consumer.close()
        assert events and events[-1].type == "succeeded", events
        assert (storage / request.output_key).stat().st_size == events[-1].result.bytes

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        log = process.stdout.read().decode()
        assert "consuming video-render" in log
        # Each Dramatiq worker on a broker of its own: two on one broker make Dramatiq warn at every boot.
        assert "same type twice" not in log
        assert not client.exists(f"aivideo:runners:{health['runner_id']}")
        client.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        broker.close()
