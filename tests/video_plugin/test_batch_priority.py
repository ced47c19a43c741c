"""Batch jobs yield to interactive ones: the runner's one worker thread, consuming both render queues from
real Redis with a prefetch of one, takes an editor's job before the batch jobs already waiting."""

from __future__ import annotations

import threading
import time
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from gpu_runner.protocol import RENDER_ACTOR, RENDER_BATCH_ACTOR, RENDER_BATCH_QUEUE, RENDER_QUEUE
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

    def handle_message(self, args: tuple[Any, ...], kwargs: dict[str, Any], retries: int = 0) -> None:
        if not self.first_started.is_set():
            self.first_started.set()
            self.release_first.wait(10)
        self.order.append(kwargs["request"]["job_id"])


def enqueue(broker: RedisBroker, queue: str, actor: str, job_id: str) -> None:
    broker.enqueue(
        dramatiq.Message(
            queue_name=queue, actor_name=actor, args=(), kwargs={"request": {"job_id": job_id}}, options={}
        )
    )


@pytest.fixture
def broker():
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    broker = RedisBroker(url=REDIS_URL)
    broker.add_middleware(CurrentMessage())
    yield broker
    broker.flush_all()
    broker.close()


def test_an_editors_job_overtakes_a_batch_in_progress(broker, tmp_path):
    runner = RecordingRunner()
    register_actor(broker, runner, RunnerSettings(redis_url=REDIS_URL, storage_url=str(tmp_path)))
    enqueue(broker, RENDER_BATCH_QUEUE, RENDER_BATCH_ACTOR, "batch-0")
    worker = start_worker(broker)
    try:
        assert runner.first_started.wait(10), "the runner took no batch job"
        # While batch-0 renders, the rest of the batch and then an editor's job arrive.
        for number in range(1, 4):
            enqueue(broker, RENDER_BATCH_QUEUE, RENDER_BATCH_ACTOR, f"batch-{number}")
        enqueue(broker, RENDER_QUEUE, RENDER_ACTOR, "editor")
        time.sleep(0.5)  # time for the interactive queue's consumer to hand its message to the worker
        runner.release_first.set()
        deadline = time.monotonic() + 15
        while len(runner.order) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.release_first.set()
        worker.stop()
    assert runner.order[:2] == ["batch-0", "editor"], (
        f"the editor's job waited behind the batch: {runner.order}"
    )
    assert sorted(runner.order) == ["batch-0", "batch-1", "batch-2", "batch-3", "editor"]
