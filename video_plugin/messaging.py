"""Sending ``render_video`` to the runner, by name: the plugin never imports the runner's actors."""

from __future__ import annotations

import dramatiq

from gpu_runner.protocol import (
    RENDER_ACTOR,
    RENDER_BATCH_ACTOR,
    RENDER_BATCH_QUEUE,
    RENDER_QUEUE,
    RenderRequest,
)


def send_render_request(request: RenderRequest, background: bool = False) -> dramatiq.Message:
    """Put one ``render_video`` message on a render queue of the current Dramatiq broker.

    ``background`` jobs (publish-triggered and batch) go to the batch queue, which runners take only when no
    interactive job (editor, API) is waiting.
    """
    request.validate()
    queue, actor = (RENDER_BATCH_QUEUE, RENDER_BATCH_ACTOR) if background else (RENDER_QUEUE, RENDER_ACTOR)
    broker = dramatiq.get_broker()
    # The web process declares no actors on this queue; declaring it is how a broker learns the queue exists.
    if queue not in broker.get_declared_queues():
        broker.declare_queue(queue)
    message = dramatiq.Message(
        queue_name=queue,
        actor_name=actor,
        args=(),
        kwargs={"request": request.to_dict()},
        options={},
    )
    return broker.enqueue(message)
