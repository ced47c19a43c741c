"""The broker that carries jobs to the runners, and the Redis that holds the state both sides share.

``BROKER_URL`` picks the broker by its scheme, as the runner's does (``gpu_runner.protocol.broker_kind``):
``redis://`` or ``amqp://`` (RabbitMQ). Whatever the broker, the runners keep a little shared state in Redis —
their capabilities, a job's cancel flag, a voice preview in progress: in the broker itself when that is Redis,
else in the Redis of ``WAGTAIL_VIDEO["REDIS_URL"]`` (the runners' ``REDIS_URL``).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import dramatiq
from django.core.exceptions import ImproperlyConfigured
from dramatiq.errors import ConnectionClosed

from gpu_runner.protocol import ProtocolError, broker_kind, queue_arguments_problem
from video_plugin.conf import video_settings

logger = logging.getLogger(__name__)

BROKER_CLASSES = {
    "redis": "dramatiq.brokers.redis.RedisBroker",
    "rabbitmq": "dramatiq.brokers.rabbitmq.RabbitmqBroker",
}


def dramatiq_broker(url: str, middleware: list[str], setting: str = "BROKER_URL") -> dict[str, Any]:
    """``DRAMATIQ_BROKER`` for the broker at ``url`` with ``middleware`` (django_dramatiq's format).

    An unknown scheme raises ImproperlyConfigured naming ``setting``, so the site refuses to start rather
    than queue jobs nowhere. RabbitMQ publishes with confirmations: a click is acknowledged only once the
    message is on a durable queue.
    """
    try:
        kind = broker_kind(url, setting)
    except ProtocolError as exc:
        raise ImproperlyConfigured(str(exc)) from None
    options: dict[str, Any] = {"url": url}
    if kind == "rabbitmq":
        options["confirm_delivery"] = True
    return {"BROKER": BROKER_CLASSES[kind], "OPTIONS": options, "MIDDLEWARE": list(middleware)}


def queue_depth(broker: Any, queue_name: str) -> int | None:
    """Messages waiting on ``queue_name`` (not those a consumer has already taken), as the broker counts them.

    Redis: the length of the queue's list. RabbitMQ: the queue's ready messages
    (Dramatiq's ``get_queue_message_counts``, which declares the queue as the broker always does). ``None``
    for a broker with no such count (the tests' stub).
    """
    redis = getattr(broker, "client", None)
    if redis is not None and hasattr(broker, "namespace"):
        return int(redis.llen(f"{broker.namespace}:{queue_name}"))
    counts = getattr(broker, "get_queue_message_counts", None)
    if counts is not None:
        return int(counts(queue_name)[0])
    return None


def shared_redis() -> Any | None:
    """The Redis client of the shared state, or ``None`` when there is none to read (a RabbitMQ broker and no
    ``WAGTAIL_VIDEO["REDIS_URL"]``)."""
    client = getattr(dramatiq.get_broker(), "client", None)
    if client is None and video_settings.REDIS_URL:
        return _redis_client(video_settings.REDIS_URL)
    return client


@cache
def _redis_client(url: str) -> Any:
    from redis import Redis

    # One client (one connection pool) per URL for the process, as the broker's own client is.
    return Redis.from_url(url)


def broker_answers() -> None:
    """Raise if the current broker does not answer a round trip (the events worker's health check)."""
    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is not None:
        client.ping()
        return
    import pika

    # RabbitMQ: a connection of its own, so a stale one of the broker's cannot answer for the server.
    pika.BlockingConnection(broker.parameters).close()


class QueueCheck(dramatiq.Middleware):
    """Stops an events worker at boot when RabbitMQ cannot carry its queues as Dramatiq declares them.

    A queue that exists with other arguments (made by another tool, or an older deployment) makes RabbitMQ
    refuse Dramatiq's declaration; without this check the worker would start, look healthy, and only log that
    refusal from its consumer thread every few seconds. Dramatiq logs and swallows a middleware's exceptions,
    so the check logs the reason and exits the worker process (status 3, Dramatiq's "broker connection
    failed"); ``rundramatiq`` then stops as a whole. Redis queues have no arguments to check.
    """

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        if not isinstance(broker, RabbitmqBroker):
            return
        for queue in sorted(worker.consumer_whitelist or broker.get_declared_queues()):
            try:
                broker.declare_queue(queue, ensure=True)
            except ConnectionClosed as exc:
                if "PRECONDITION_FAILED" not in str(exc):
                    raise  # unreachable: Dramatiq's consumers retry and log it as they do for any outage
                logger.critical(queue_arguments_problem(queue, str(exc)))
                raise SystemExit(3) from None
