"""Sending a :class:`~gpu_runner.protocol.Envelope` through the runner's Dramatiq broker, by actor name.

The runner never imports the plugin's actors: an envelope names the queue and the actor, and this is the
runner's one place that turns one into a ``dramatiq.Message`` (the plugin's is
``video_plugin.jobs.messaging``).
"""

from __future__ import annotations

from dramatiq import Broker, Message

from .protocol import Envelope


def send(broker: Broker, envelope: Envelope) -> Message:
    """Enqueue ``envelope`` on ``broker`` (the runner's RedisBroker); returns the message as enqueued.

    The queue is not declared here: RedisBroker writes to a queue whether or not this process declared it (its
    enqueue script creates the queue's keys), and a declared events queue would only add it to the queues the
    runner's :class:`~gpu_runner.heartbeat.BrokerHeartbeat` polls.
    """
    message = Message(
        queue_name=envelope.queue,
        actor_name=envelope.actor,
        args=(),
        kwargs=envelope.kwargs,
        options={},
    )
    return broker.enqueue(message)
