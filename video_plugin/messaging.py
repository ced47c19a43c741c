"""Sending ``render_video`` to the runner, by name: the plugin never imports the runner's actors."""

from __future__ import annotations

import dramatiq

from gpu_runner.protocol import RENDER_ACTOR, RENDER_QUEUE, RenderRequest


def send_render_request(request: RenderRequest) -> dramatiq.Message:
    """Put one ``render_video`` message on the render queue of the current Dramatiq broker."""
    request.validate()
    broker = dramatiq.get_broker()
    # The web process declares no actors on this queue; declaring it is how a broker learns the queue exists.
    if RENDER_QUEUE not in broker.get_declared_queues():
        broker.declare_queue(RENDER_QUEUE)
    message = dramatiq.Message(
        queue_name=RENDER_QUEUE,
        actor_name=RENDER_ACTOR,
        args=(),
        kwargs={"request": request.to_dict()},
        options={},
    )
    return broker.enqueue(message)
