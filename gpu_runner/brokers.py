"""The runner's Dramatiq broker, Redis or RabbitMQ by the scheme of ``BROKER_URL``, checked at start.

Both carry the same messages on the same queues; what differs is how a message finds a runner and how a dead
runner's message comes back:

- Redis: an idle consumer polls its queue, backing off up to ``GPU_RUNNER_POLL_MS``; a message stays claimed
  by a runner until the broker sees that runner's heartbeat go stale (:mod:`gpu_runner.heartbeat`).
- RabbitMQ: the server pushes a message to the consumer (prefetch 1) the moment it arrives, and puts it back
  the moment the runner's connection drops; its queues are durable and its messages persistent, so a broker
  restart loses nothing. Publishing waits for the server's confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .protocol import queue_arguments_problem
from .settings import RunnerSettings


class BrokerSetupError(RuntimeError):
    """The broker cannot carry the runner's queues as they are; the message says which setting to fix."""


def open_broker(settings: RunnerSettings) -> Any:
    """A broker for ``settings.broker`` with CurrentMessage (the render actor reads its retry count)."""
    from dramatiq.middleware import CurrentMessage

    if settings.broker_kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=settings.broker, confirm_delivery=True)
    else:
        from dramatiq.brokers.redis import RedisBroker

        # heartbeat_timeout and maintenance_chance decide how soon the job of a runner that died is delivered
        # again (see gpu_runner.settings); BrokerHeartbeat keeps a live runner's heartbeat fresh.
        broker = RedisBroker(
            url=settings.broker,
            heartbeat_timeout=settings.heartbeat_timeout_s * 1000,
            maintenance_chance=settings.maintenance_chance,
        )
    broker.add_middleware(CurrentMessage())
    return broker


def verify_queues(broker: Any, queue_names: Iterable[str]) -> None:
    """Create, or confirm, each queue on a RabbitMQ broker now rather than at the first message.

    RabbitMQ refuses to declare a queue that exists with other arguments (one made by another tool, or by an
    older deployment with another dead-letter or priority setup), and Dramatiq would only log that refusal
    from its consumer threads, over and over, while the runner looked healthy. Redis queues have no arguments:
    nothing to check there.
    """
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.errors import ConnectionClosed

    if not isinstance(broker, RabbitmqBroker):
        return
    for name in queue_names:
        try:
            broker.declare_queue(name, ensure=True)
        except ConnectionClosed as exc:
            if "PRECONDITION_FAILED" in str(exc):
                raise BrokerSetupError(queue_arguments_problem(name, str(exc))) from None
            raise BrokerSetupError(f"RabbitMQ at BROKER_URL does not answer: {exc}") from None
