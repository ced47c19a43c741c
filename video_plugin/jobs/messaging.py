"""Sending protocol messages to the runner, by name: the plugin never imports the runner's actors.

:func:`send` is the plugin's one place that turns a :class:`~gpu_runner.protocol.Envelope` into a
``dramatiq.Message``; the protocol says which queue and actor each message goes to.
"""

from __future__ import annotations

import dramatiq

from gpu_runner.protocol import Envelope, RenderRequest


def send(envelope: Envelope, delay_s: float = 0) -> dramatiq.Message:
    """Put ``envelope`` on the current Dramatiq broker, to be taken after ``delay_s`` seconds."""
    broker = dramatiq.get_broker()
    # The web process declares no actors on the runner's queues; declaring one is how a broker learns of it.
    if envelope.queue not in broker.get_declared_queues():
        broker.declare_queue(envelope.queue)
    message = dramatiq.Message(
        queue_name=envelope.queue,
        actor_name=envelope.actor,
        args=(),
        kwargs=envelope.kwargs,
        options={},
    )
    return broker.enqueue(message, delay=int(delay_s * 1000) or None)


def send_render_request(request: RenderRequest, trigger: str) -> dramatiq.Message:
    """Put one ``render_video`` message on the render lane of ``trigger``.

    Runners take an editor's or API client's job first, then publish-triggered ones, then batch jobs
    (``gpu_runner.protocol.RENDER_LANES``).
    """
    return send(request.envelope(trigger))
