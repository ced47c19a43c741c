"""Sending ``render_video`` to the runner, by name: the plugin never imports the runner's actors."""

from __future__ import annotations

import dramatiq

from gpu_runner.protocol import RenderRequest, render_lane


def send_render_request(request: RenderRequest, trigger: str) -> dramatiq.Message:
    """Put one ``render_video`` message on the render lane of ``trigger`` on the current Dramatiq broker.

    Runners take an editor's or API client's job first, then publish-triggered ones, then batch jobs
    (``gpu_runner.protocol.RENDER_LANES``).
    """
    request.validate()
    lane = render_lane(trigger)
    queue, actor = lane.queue, lane.actor
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
