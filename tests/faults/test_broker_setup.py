"""A broker the system cannot use stops each process at start, with a message naming the setting to fix.

An unknown scheme in ``BROKER_URL`` stops the runner and the site; a RabbitMQ whose queue was declared with
other arguments than Dramatiq's stops the runner and the events worker, before anything loads.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pika
import pytest
from django.core.exceptions import ImproperlyConfigured

from gpu_runner.protocol import EVENTS_QUEUE, INTERACTIVE_LANE
from tests.stack import ROOT
from video_plugin.jobs.brokers import dramatiq_broker

START_TIMEOUT_S = 120


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run a process of the system to its end (it must not start), ``env`` over the test's environment."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "GPU_RUNNER_RENDERER": "still", "GPU_RUNNER_HEALTH_PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )


@pytest.fixture
def misdeclared(rabbitmq):
    """Declare ``queue`` on the session's RabbitMQ as another tool would: durable, without dead-lettering."""
    declared: list[str] = []

    def declare(queue: str) -> None:
        rabbitmq.delete_queues([queue])
        connection = pika.BlockingConnection(pika.URLParameters(rabbitmq.url))
        try:
            connection.channel().queue_declare(queue=queue, durable=True, arguments={"x-max-priority": 9})
        finally:
            connection.close()
        declared.append(queue)

    yield declare
    rabbitmq.delete_queues(declared)


def test_an_unknown_broker_scheme_stops_the_runner_naming_broker_url():
    result = run([sys.executable, "-m", "gpu_runner", "serve"], BROKER_URL="kafka://127.0.0.1:9092")
    assert result.returncode == 2, result.stderr
    assert "BROKER_URL has scheme 'kafka'" in result.stderr and "amqp://" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_broker_scheme_stops_the_site_naming_broker_url():
    with pytest.raises(ImproperlyConfigured, match="BROKER_URL has scheme 'nats'"):
        dramatiq_broker("nats://127.0.0.1:4222", middleware=[])
    # And the password of a URL it refuses is never repeated.
    with pytest.raises(ImproperlyConfigured) as refused:
        dramatiq_broker("kafka://user:s3cret-pass@host/", middleware=[])
    assert "s3cret-pass" not in str(refused.value)


def test_either_scheme_configures_its_broker():
    assert (
        dramatiq_broker("redis://127.0.0.1:6379/0", ["m"])["BROKER"] == "dramatiq.brokers.redis.RedisBroker"
    )
    rabbit = dramatiq_broker("amqp://guest:guest@127.0.0.1:5672/", ["m"])
    assert rabbit["BROKER"] == "dramatiq.brokers.rabbitmq.RabbitmqBroker"
    assert rabbit["OPTIONS"] == {"url": "amqp://guest:guest@127.0.0.1:5672/", "confirm_delivery": True}
    assert rabbit["MIDDLEWARE"] == ["m"]


def test_a_rabbitmq_queue_with_other_arguments_stops_the_runner_before_it_loads(rabbitmq, misdeclared):
    misdeclared(INTERACTIVE_LANE.queue)
    result = run([sys.executable, "-m", "gpu_runner", "serve"], BROKER_URL=rabbitmq.url)
    assert result.returncode == 2, result.stderr
    assert f"RabbitMQ at BROKER_URL already has a queue '{INTERACTIVE_LANE.queue}'" in result.stderr
    assert "PRECONDITION_FAILED" in result.stderr and "rabbitmqctl delete_queue" in result.stderr
    assert "loading" not in result.stderr.lower()  # it stopped before loading any model


def test_a_rabbitmq_queue_with_other_arguments_stops_the_events_worker(rabbitmq, misdeclared, tmp_path):
    misdeclared(EVENTS_QUEUE)
    command = [sys.executable, "manage.py", "rundramatiq", "--queues", EVENTS_QUEUE, "-p", "1", "-t", "1"]
    result = run(
        command,
        BROKER_URL=rabbitmq.url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        dramatiq_prom_db=str(tmp_path / "prometheus"),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 3, output  # Dramatiq's "broker connection failed"
    assert f"RabbitMQ at BROKER_URL already has a queue '{EVENTS_QUEUE}'" in output
