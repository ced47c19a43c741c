"""Stopping a runner: its current job finishes within a grace period, or goes back on its queue.

Kubernetes (scaling down, rolling out) and ``docker stop`` send SIGTERM, then SIGKILL once their own grace
period is over. On SIGTERM the runner stops its Dramatiq worker: the worker thread takes no message after the
one in hand, and the messages prefetched from the other lanes go back to their queues. The job in hand has
``GPU_RUNNER_STOP_GRACE_S`` to finish. Still running at that deadline, it stops at its next cancellation check
(every frame of the ``still`` renderer, between Hallo2's clips, between stages) with :class:`RunnerStopping`;
the runner adds a note saying so to the job's record and :class:`RequeueOnStop` hands the message back to the
broker unacknowledged, neither done nor dead-lettered. Another runner then renders the job from the start, as
attempt 2 (the attempt counter lives in Redis, see :mod:`gpu_runner.worker`), and its output key is the same.

Dramatiq's own shutdown alone would wait for the job however long it takes, and the orchestrator's SIGKILL
would leave the message to the Redis broker's dead-runner maintenance, ``GPU_RUNNER_HEARTBEAT_TIMEOUT_S``
later. The orchestrator's grace (``terminationGracePeriodSeconds``) must therefore cover
:func:`stop_budget_s`: the runner's grace plus :data:`CANCEL_MARGIN_S` for the job to reach its next check and
the runner to close.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from .renderers.base import JobCancelled

logger = logging.getLogger(__name__)

#: Seconds allowed past the grace for the job to reach its next cancellation check (a Hallo2 clip is the
#: longest stretch without one), hand its message back and for the runner to close its connections.
CANCEL_MARGIN_S = 30.0

#: The note a handed-back job's record keeps (in ``fallbacks``), so its second attempt is explained.
HANDED_BACK_NOTE = (
    "the runner stopped (scale-down or new release) before this job finished; the job went back on its queue "
    "and started again on another runner"
)


def stop_budget_s(grace_s: float) -> float:
    """How long a runner with ``GPU_RUNNER_STOP_GRACE_S=grace_s`` may take to exit after SIGTERM."""
    return grace_s + CANCEL_MARGIN_S


class RunnerStopping(JobCancelled):
    """The runner is stopping and its grace is over: the job is given back, not cancelled.

    A :class:`JobCancelled`, so a renderer cleans up as it would for a cancellation.
    """


class GracefulStop:
    """The stop of one runner process: when it began, when its grace ends, whether a job was handed back."""

    def __init__(self, grace_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_s = grace_s
        self._clock = clock
        self._deadline: float | None = None
        self._handed_back = threading.Event()
        self._lock = threading.Lock()

    def begin(self) -> None:
        """Start the grace period; a second call (another signal) does not extend it."""
        with self._lock:
            if self._deadline is None:
                self._deadline = self._clock() + self.grace_s

    @property
    def stopping(self) -> bool:
        return self._deadline is not None

    def overdue(self) -> bool:
        """Whether the grace is over (never before :meth:`begin`)."""
        return self._deadline is not None and self._clock() >= self._deadline

    def check(self, job_id: str) -> None:
        """Raise :class:`RunnerStopping` once the grace is over (part of the job's cancellation check)."""
        if self.overdue():
            raise RunnerStopping(
                f"job {job_id} still running {self.grace_s:g} s after the runner was told to stop"
            )

    def hand_back(self) -> None:
        """Mark the job in hand as given back: :class:`RequeueOnStop` requeues its message."""
        self._handed_back.set()

    def take_handed_back(self) -> bool:
        """Whether the job just processed was given back (and forget it: one job at a time)."""
        handed_back = self._handed_back.is_set()
        self._handed_back.clear()
        return handed_back


class RequeueOnStop(Middleware):
    """Puts a handed-back job's message back on its queue instead of letting Dramatiq acknowledge it.

    Add it to the render broker before its worker starts. The hook runs in the worker thread, after the actor
    returned and before Dramatiq acknowledges the message.
    """

    def __init__(self, stop: GracefulStop) -> None:
        self._stop = stop
        self._worker: Any | None = None

    def before_worker_boot(self, broker: Any, worker: Any) -> None:
        self._worker = worker

    def _requeue(self, broker: Any, message: Any) -> bool:
        """Put ``message`` back on its queue now; ``True`` when the broker took it."""
        consumer = self._worker.consumers[message.queue_name]
        if isinstance(broker, RedisBroker):
            # Redis moves the message from this runner's unacknowledged set back onto its queue in one
            # step; the acknowledgement Dramatiq sends next then finds nothing to remove.
            consumer.requeue_messages([message])
            return True
        if isinstance(broker, RabbitmqBroker):
            # Dramatiq's RabbitMQ consumer has no requeue of its own (it counts on the channel closing), so
            # reject the delivery with requeue on the consumer's channel, from its own thread as pika needs.
            # Forgetting the tag first makes Dramatiq's acknowledgement that follows a logged no-op.
            rabbit = consumer.consumer
            rabbit.known_tags.discard(message._tag)
            rabbit.connection.add_callback_threadsafe(
                functools.partial(rabbit.channel.basic_nack, message._tag, requeue=True)
            )
            return True
        return False

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any | None = None, exception: BaseException | None = None
    ) -> None:
        if not self._stop.take_handed_back():
            return
        requeued = False
        try:
            if self._worker is not None:
                requeued = self._requeue(broker, message)
        except Exception:  # a broker that cannot be reached now: leave the message unacknowledged (below)
            logger.exception("could not put message %s back on %s", message.message_id, message.queue_name)
        if requeued:
            logger.info(
                "message %s put back on %s for another runner", message.message_id, message.queue_name
            )
            return
        # Not requeued here (the broker is unreachable): it must never be acknowledged, so this thread waits
        # for the end of the process. RabbitMQ redelivers what was never acknowledged once this runner's
        # connection closes; Redis's dead-runner maintenance once its heartbeat is stale.
        logger.info("message %s left unacknowledged for redelivery", message.message_id)
        threading.Event().wait()
