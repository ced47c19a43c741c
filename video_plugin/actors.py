"""The events worker's actors: ``python manage.py rundramatiq --queues video-events`` discovers this module.

``video_event`` applies the runner's reports; ``deliver_webhook`` makes one webhook delivery attempt.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from gpu_runner.protocol import EVENT_ACTOR, EVENTS_QUEUE, ProtocolError, VideoEvent
from video_plugin.conf import video_settings
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.webhooks.delivery import WEBHOOK_ACTOR, deliver

logger = logging.getLogger(__name__)


@dramatiq.actor(
    actor_name=EVENT_ACTOR,
    queue_name=EVENTS_QUEUE,
    max_retries=video_settings.EVENT_MAX_RETRIES,
    min_backoff=1_000,
    max_backoff=30_000,
    # A malformed message will never become well-formed: retrying it only delays the queue.
    throws=(ProtocolError,),
)
def video_event(event: dict[str, Any]) -> None:
    """Apply one runner report, ``event`` (a :class:`VideoEvent` as sent by :meth:`VideoEvent.envelope`).

    Malformed reports are logged once and dropped. Database errors propagate so Dramatiq retries them.
    """
    try:
        report = VideoEvent.from_dict(event)
    except ProtocolError as exc:
        logger.error("dropped malformed video_event: %s (payload %.300r)", exc, event)
        return
    apply_event(report)


@dramatiq.actor(
    actor_name=WEBHOOK_ACTOR,
    queue_name=EVENTS_QUEUE,
    # HTTP failures are retried by deliver() itself, with the attempt counted in the delivery log; Dramatiq's
    # own retries only cover the worker's failures (the database briefly unreachable).
    max_retries=3,
    min_backoff=1_000,
    max_backoff=30_000,
    # One attempt waits at most WEBHOOK_TIMEOUT_S on the receiver; a minute bounds everything else.
    time_limit=60_000,
)
def deliver_webhook(delivery_id: str) -> None:
    """Make one attempt of a webhook delivery (see :mod:`video_plugin.webhooks.delivery`)."""
    deliver(delivery_id)
