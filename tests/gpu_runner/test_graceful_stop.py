"""SIGTERM in the middle of a render: the job finishes within the grace, or goes back on its queue once.

Real runner processes (``python -m gpu_runner serve``, the ``still`` renderer slowed to 50 ms a frame) against
the test Redis (and, for the hand-back, a RabbitMQ node of the tests' own too); the test reads the events
queue itself, as the events worker would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from gpu_runner.messaging import send
from gpu_runner.protocol import EVENTS_QUEUE, RENDER_QUEUE, RenderRequest, VideoEvent, video_key
from gpu_runner.shutdown import HANDED_BACK_NOTE, stop_budget_s
from tests.gpu_runner.test_serve import wait_ready
from tests.rabbitmq import message_count
from tests.services import free_port

REPO = Path(__file__).resolve().parents[2]
# About five seconds of speech: at 50 ms a frame (25 fps) the render takes about ten.
SCRIPT = "Meet the field kettle. It boils a litre in four minutes, and it packs flat for the trail."
SLOW_FRAMES = {"GPU_RUNNER_TEST_FRAME_DELAY_S": "0.05"}


class Runners:
    """Starts runner processes on one Redis and storage folder; kills whatever is left at the end."""

    def __init__(self, redis_url: str, storage: Path, logs: Path, broker_url: str | None = None) -> None:
        self.redis_url = redis_url
        self.broker_url = broker_url or redis_url
        self.storage = storage
        self.logs = logs
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, **env: str) -> subprocess.Popen:
        port = free_port()
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "gpu_runner", "serve"],
            cwd=REPO,
            env={
                **os.environ,
                "REDIS_URL": self.redis_url,
                "BROKER_URL": self.broker_url,
                "VIDEO_STORAGE_URL": str(self.storage),
                "GPU_RUNNER_HEALTH_PORT": str(port),
                "GPU_RUNNER_VOICE_ENGINES": "espeak",
                "PYTHONPATH": str(REPO),
                **env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        wait_ready(port, process)
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def broker_url(request: pytest.FixtureRequest, redis_url: str) -> str:
    """The test Redis, or with the parameter ``"rabbitmq"`` the session's RabbitMQ node, queues emptied."""
    if getattr(request, "param", "redis") == "redis":
        return redis_url
    node = request.getfixturevalue("rabbitmq")
    node.delete_queues([RENDER_QUEUE, EVENTS_QUEUE])
    return node.url


@pytest.fixture
def runners(redis_url: str, broker_url: str, tmp_path: Path, face_jpeg: bytes) -> Iterator[Runners]:
    storage = tmp_path / "storage"
    (storage / "5" / "images").mkdir(parents=True)
    (storage / "5" / "images" / "face.jpg").write_bytes(face_jpeg)
    started = Runners(redis_url, storage, tmp_path, broker_url)
    try:
        yield started
    finally:
        started.close()


class EventLog:
    """The ``video_event`` messages the runners send, read off the events queue in order."""

    def __init__(self, broker: Broker) -> None:
        self._consumer = broker.consume(EVENTS_QUEUE, prefetch=50, timeout=100)
        self.events: list[VideoEvent] = []

    def wait_for(self, condition: Callable[[VideoEvent], bool], timeout: float) -> VideoEvent:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            message = next(self._consumer)
            if message is not None:
                self.events.append(VideoEvent.from_dict(message.kwargs["event"]))
                self._consumer.ack(message)
            for event in self.events[seen:]:
                if condition(event):
                    return event
            seen = len(self.events)
        seen_events = [(event.type, event.stage) for event in self.events]
        raise AssertionError(f"no such event within {timeout} s; saw {seen_events}")

    def drain(self, quiet_s: float = 1.0) -> list[VideoEvent]:
        """Read until nothing has arrived for ``quiet_s``; returns every event read so far."""
        quiet_until = time.monotonic() + quiet_s
        while time.monotonic() < quiet_until:
            message = next(self._consumer)
            if message is not None:
                self.events.append(VideoEvent.from_dict(message.kwargs["event"]))
                self._consumer.ack(message)
                quiet_until = time.monotonic() + quiet_s
        return self.events

    def close(self) -> None:
        self._consumer.close()


@pytest.fixture
def broker(broker_url: str) -> Iterator[Broker]:
    broker = (
        RabbitmqBroker(url=broker_url, confirm_delivery=True)
        if broker_url.startswith("amqp")
        else RedisBroker(url=broker_url)
    )
    yield broker
    broker.close()


def send_job(broker: Broker) -> RenderRequest:
    request = RenderRequest(
        job_id=uuid.uuid4().hex[:10],
        organization_id=5,
        page_id=9,
        image_key="5/images/face.jpg",
        script=SCRIPT,
        voice="espeak:en-us",
        renderer="still",
        output_key=video_key(5, 9, uuid.uuid4().hex[:16]),
    )
    send(broker, request.envelope("editor"))
    return request


def mid_render(event: VideoEvent) -> bool:
    return event.type == "progress" and event.stage == "render" and (event.fraction or 0) > 0.05


def stop(process: subprocess.Popen, bound_s: float) -> float:
    """SIGTERM ``process``; returns how long it took to exit (it must exit 0 within ``bound_s``)."""
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=bound_s) == 0
    return time.monotonic() - signalled


def queue_state(broker_url: str, queue: str) -> dict[str, int]:
    """What the broker holds for ``queue``: waiting messages, unacknowledged bodies (Redis keeps every body
    until acknowledged; RabbitMQ's count of them is its unacknowledged ones, none once the consumer is gone),
    and dead letters."""
    if broker_url.startswith("amqp"):
        waiting = message_count(broker_url, queue)
        return {"waiting": waiting, "bodies": waiting, "dead": message_count(broker_url, f"{queue}.XQ")}
    client = redis.Redis.from_url(broker_url)
    try:
        return {
            "waiting": client.llen(f"dramatiq:{queue}"),
            "bodies": client.hlen(f"dramatiq:{queue}.msgs"),
            "dead": client.zcard(f"dramatiq:{queue}.XQ"),
        }
    finally:
        client.close()


def test_sigterm_mid_render_with_enough_grace_finishes_the_job(
    runners: Runners, broker: RedisBroker, redis_url: str
) -> None:
    runner = runners.start("runner", GPU_RUNNER_STOP_GRACE_S="60", **SLOW_FRAMES)
    events = EventLog(broker)
    try:
        request = send_job(broker)
        events.wait_for(mid_render, timeout=30)

        took = stop(runner, bound_s=60)
        done = events.wait_for(lambda e: e.type in ("succeeded", "failed", "cancelled"), timeout=5)
        log = events.drain()
    finally:
        events.close()

    assert done.type == "succeeded", runners.log("runner")
    # It waited for the render rather than exiting at once: the render had seconds left at the signal.
    assert took > 1.0
    assert [e.type for e in log].count("succeeded") == 1
    assert {e.attempt for e in log} == {1}
    assert all(HANDED_BACK_NOTE not in e.info.get("fallbacks", []) for e in log)
    assert (runners.storage / request.output_key).stat().st_size == done.result.bytes
    # Acknowledged: nothing waits, nothing is left unacknowledged or dead-lettered.
    assert queue_state(redis_url, RENDER_QUEUE) == {"waiting": 0, "bodies": 0, "dead": 0}


@pytest.mark.parametrize("broker_url", ["redis", "rabbitmq"], indirect=True)
def test_sigterm_mid_render_past_the_grace_requeues_the_job_for_one_other_render(
    runners: Runners, broker: Broker, broker_url: str
) -> None:
    grace_s = 1.0
    first = runners.start("first", GPU_RUNNER_STOP_GRACE_S=str(grace_s), **SLOW_FRAMES)
    events = EventLog(broker)
    try:
        request = send_job(broker)
        events.wait_for(mid_render, timeout=30)

        # Within the budget the pod's terminationGracePeriodSeconds must cover; the still renderer checks
        # every frame (at most once a second), so the job itself stops about a second after the grace.
        stop(first, bound_s=stop_budget_s(grace_s))
        handed_back = events.wait_for(lambda e: HANDED_BACK_NOTE in e.info.get("fallbacks", []), timeout=5)
        # Back on its queue, neither acknowledged nor dead-lettered, before any other runner exists.
        assert queue_state(broker_url, RENDER_QUEUE) == {"waiting": 1, "bodies": 1, "dead": 0}
        assert not (runners.storage / request.output_key).exists()

        runners.start("second")
        done = events.wait_for(lambda e: e.type in ("succeeded", "failed", "cancelled"), timeout=60)
        log = events.drain()
    finally:
        events.close()

    assert handed_back.attempt == 1 and handed_back.type == "progress"
    assert done.type == "succeeded" and done.attempt == 2, runners.log("second")
    assert [e.type for e in log].count("succeeded") == 1
    assert not [e for e in log if e.type in ("failed", "cancelled")]
    # One render by the second runner: it started the job once, and its file is the job's one output.
    assert [e.attempt for e in log if e.type == "started"] == [1, 2]
    assert (runners.storage / request.output_key).stat().st_size == done.result.bytes
    assert queue_state(broker_url, RENDER_QUEUE) == {"waiting": 0, "bodies": 0, "dead": 0}
    assert "putting it back on its queue" in runners.log("first")
