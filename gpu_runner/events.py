"""Reporting a job's life as ``video_event`` messages: started, throttled progress, and how it ended.

Events are sent by name to the events queue, so this process never imports the plugin's actors. Progress is
throttled to one event a second per job; the latest state is what gets sent, so nothing important is lost,
just the intermediate fractions nobody would see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from .messaging import send
from .protocol import JobError, RenderResult, VideoEvent
from .renderers.base import JobCancelled, StageReporter

logger = logging.getLogger(__name__)

Publish = Callable[[VideoEvent], None]

PROGRESS_INTERVAL_S = 1.0
CANCEL_CHECK_INTERVAL_S = 1.0
FIRST_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 5.0


def broker_publisher(broker: Any, retry_s: float = 0.0) -> Publish:
    """Send events to the events queue through a Dramatiq broker, by actor name (:meth:`VideoEvent.envelope`).

    The runner needs no knowledge of the events worker beyond the queue and actor names the envelope carries.

    While the broker is unreachable, sending is retried with backoff for up to ``retry_s`` seconds, and the
    job waits: a Redis restart in the middle of a job then costs a pause, not a lost report. After that the
    connection error propagates and the job fails (its ``failed`` report is retried the same way).
    """
    from dramatiq.errors import BrokerConnectionError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    unreachable = (BrokerConnectionError, RedisConnectionError, RedisTimeoutError)

    def publish(event: VideoEvent) -> None:
        envelope = event.envelope()
        deadline = time.monotonic() + retry_s
        delay = FIRST_RETRY_DELAY_S
        while True:
            try:
                send(broker, envelope)
                return
            except unreachable as exc:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning(
                    "could not send %s event of job %s (%s); retrying in %.1f s",
                    event.type,
                    event.job_id,
                    exc,
                    delay,
                )
                time.sleep(delay)
                delay = min(MAX_RETRY_DELAY_S, delay * 2)

    return publish


class JobReporter(StageReporter):
    """The runner's :class:`StageReporter` for one job: stage timings, throttled progress, cancel checks.

    ``eta_s`` is a linear extrapolation of the current stage (time spent ÷ fraction done); it is ``None``
    until the stage has reported a fraction above zero, because a guess from nothing would only mislead.
    """

    def __init__(
        self,
        job_id: str,
        attempt: int,
        publish: Publish,
        is_cancelled: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.info: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self._publish = publish
        self._is_cancelled = is_cancelled
        self._clock = clock
        self._stage: str | None = None
        self._stage_started: float | None = None
        self._fraction = 0.0
        self._last_sent: float | None = None
        self._last_cancel_check: float | None = None

    @property
    def stage(self) -> str | None:
        return self._stage

    def started(self) -> None:
        self._send("started")

    def record(self, **facts: Any) -> None:
        """Add facts to the job's ``info`` (voice used, fallbacks) and send them at once, unthrottled.

        Facts change once or twice a job, and a fallback must reach the editor even if the job then fails.
        """
        self.info.update(facts)
        self._last_sent = None
        self._maybe_send_progress()

    def enter(self, stage: str) -> None:
        self._close_stage()
        self._stage, self._stage_started, self._fraction = stage, self._clock(), 0.0
        self.timings.setdefault(stage, 0.0)
        self._maybe_send_progress()

    def progress(self, fraction: float) -> None:
        self._fraction = min(1.0, max(0.0, float(fraction)))
        self._maybe_send_progress()

    def check_cancelled(self) -> None:
        now = self._clock()
        if self._last_cancel_check is not None and now - self._last_cancel_check < CANCEL_CHECK_INTERVAL_S:
            return
        self._last_cancel_check = now
        if self._is_cancelled():
            raise JobCancelled(f"job {self.job_id} was cancelled during {self._stage or 'start-up'}")

    def succeeded(self, result: RenderResult) -> None:
        self._close_stage()
        self._send("succeeded", result=result)

    def failed(self, error: JobError) -> None:
        self._close_stage()
        # The stages reached and their times go with the failure: the job record then shows how far the job
        # got (a face refusal with no "render" time cost no GPU work) without the runner's log.
        self.info["timings"] = dict(self.timings)
        self._send("failed", stage=self._stage, error=error)

    def cancelled(self) -> None:
        self._close_stage()
        self._send("cancelled", stage=self._stage)

    def _close_stage(self) -> None:
        # A stage entered twice (a renderer working clip by clip) accumulates its time.
        if self._stage is not None and self._stage_started is not None:
            self.timings[self._stage] = round(
                self.timings[self._stage] + self._clock() - self._stage_started, 3
            )
            self._stage_started = None

    def _maybe_send_progress(self) -> None:
        now = self._clock()
        if self._last_sent is not None and now - self._last_sent < PROGRESS_INTERVAL_S:
            return
        self._last_sent = now
        elapsed = now - self._stage_started if self._stage_started is not None else 0.0
        eta = elapsed * (1 - self._fraction) / self._fraction if self._fraction > 0 else None
        self._send("progress", stage=self._stage, fraction=round(self._fraction, 4), eta_s=eta)

    def _send(self, event_type: str, **fields: Any) -> None:
        event = VideoEvent(
            job_id=self.job_id,
            attempt=self.attempt,
            type=event_type,
            info=dict(self.info),
            sent_at=time.time(),
            **fields,
        )
        self._publish(event)
