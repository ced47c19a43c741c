"""Jobs nobody waits for at the screen yield: the runner's one worker thread, consuming every render lane
with a prefetch of one, from real Redis or a real RabbitMQ, takes an editor's job first, then a publish, then
the batch already waiting."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import redis
from dramatiq import Broker

from gpu_runner.brokers import open_broker
from gpu_runner.messaging import send
from gpu_runner.protocol import BATCH_LANE, INTERACTIVE_LANE, PUBLISH_LANE, Envelope, RenderLane
from gpu_runner.settings import RunnerSettings
from gpu_runner.worker import register_actor, start_worker

REDIS_URL = "redis://127.0.0.1:6379/13"


class RecordingRunner:
    """Stands in for the runner's models: jobs are recorded in the order they ran; the first one holds the
    worker thread until released, so the test controls what is waiting when it ends."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.first_started = threading.Event()
        self.release_first = threading.Event()

    def handle_message(self, payload: dict[str, Any], retries: int = 0) -> None:
        if not self.first_started.is_set():
            self.first_started.set()
            self.release_first.wait(10)
        self.order.append(payload["job_id"])


def enqueue(broker: Broker, lane: RenderLane, job_id: str) -> None:
    send(broker, Envelope(lane.queue, lane.actor, {"request": {"job_id": job_id}}))


@pytest.fixture(params=["redis", "rabbitmq"])
def settings_and_node(request, tmp_path):
    """The runner's settings on either broker (and the RabbitMQ node, to count its queues)."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    if request.param == "redis":
        return RunnerSettings(redis_url=REDIS_URL, storage_url=str(tmp_path)), None
    node = request.getfixturevalue("rabbitmq")
    node.delete_queues(lane.queue for lane in (INTERACTIVE_LANE, PUBLISH_LANE, BATCH_LANE))
    return RunnerSettings(redis_url=REDIS_URL, broker_url=node.url, storage_url=str(tmp_path)), node


@pytest.fixture
def broker(settings_and_node):
    broker = open_broker(settings_and_node[0])  # the runner's own: RedisBroker or RabbitmqBroker
    yield broker
    broker.flush_all()
    broker.close()


def test_an_editors_job_then_a_publish_overtake_a_batch_in_progress(broker, settings_and_node):
    settings, node = settings_and_node
    runner = RecordingRunner()
    register_actor(broker, runner, settings)
    enqueue(broker, BATCH_LANE, "batch-0")
    worker = start_worker(broker)
    try:
        assert runner.first_started.wait(10), "the runner took no batch job"
        # While batch-0 renders, the rest of the batch, then a publish, then an editor's job arrive.
        for number in range(1, 4):
            enqueue(broker, BATCH_LANE, f"batch-{number}")
        enqueue(broker, PUBLISH_LANE, "publish")
        enqueue(broker, INTERACTIVE_LANE, "editor")
        time.sleep(0.5)  # time for each lane's consumer to hand its message to the worker
        if node is not None:
            # Prefetch 1: the batch job being rendered is the one the runner holds on its lane; the three
            # behind it stay on the queue, free for another runner to take.
            assert node.message_count(BATCH_LANE.queue) == 3
        runner.release_first.set()
        deadline = time.monotonic() + 15
        while len(runner.order) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.release_first.set()
        worker.stop()
    assert runner.order[:3] == ["batch-0", "editor", "publish"], f"the lanes ran out of order: {runner.order}"
    assert sorted(runner.order) == ["batch-0", "batch-1", "batch-2", "batch-3", "editor", "publish"]
