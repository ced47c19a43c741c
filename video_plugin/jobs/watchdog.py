"""Failing stuck jobs, so that no job stays queued or running forever without a word.

A job is stuck when:

- it is ``running`` and the runner has sent no report about it for ``STUCK_RUNNING_S`` (30 min): its runner
  died and the job was not delivered again (the broker requeues a dead runner's job after the runner's
  heartbeat timeout, 5 min by default, so this allows for that, a new runner's boot and a slow stage); or
- it is ``queued`` and no runner has started it ``STUCK_QUEUED_S`` (24 h) after it was queued: no runner is
  consuming the queue, or the message was lost.

Either way it fails with ``timed_out`` and a message that says what to check, webhooks hear about it, and the
runner's cancel flag is raised so a runner that is in fact still at it stops instead of finishing unseen.

Silence is judged only up to the last moment the events queue was seen empty: every report a runner had sent
by then is in the database. Reports still waiting on the queue (an events worker that was down and is catching
up, or one that just booted) are not silence, so a backlog never gets live jobs failed.

How it runs: :class:`video_plugin.jobs.watchdog_middleware.WatchdogMiddleware`, listed in the events worker's
``DRAMATIQ_BROKER["MIDDLEWARE"]``, starts a daemon thread in each worker process after boot that runs
:func:`watch`, which calls :func:`fail_stuck_jobs` every ``WATCHDOG_INTERVAL_S``. A thread rather than a
self-rescheduling actor: there is no chain of messages to lose when Redis restarts, and no duplicate chains
when workers restart. Several workers running it at once is harmless: each job is locked and re-checked before
it is failed, so it fails once. ``python manage.py video_watchdog`` runs the same check once (or ``--loop``),
for hosts that prefer cron or a process of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import dramatiq
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gpu_runner.protocol import EVENTS_QUEUE, ErrorCode
from video_plugin.conf import video_settings
from video_plugin.jobs.brokers import queue_depth
from video_plugin.jobs.cancellation import raise_cancel_flag
from video_plugin.metrics_worker import job_reached
from video_plugin.models import VideoJob
from video_plugin.webhooks.delivery import queue_deliveries

logger = logging.getLogger(__name__)

Status = VideoJob.Status


def stuck_jobs(heard_until: datetime) -> Any:
    """The jobs that are stuck, judged on every report sent before ``heard_until`` (a queryset; see the module
    docstring for the rules)."""
    running_cutoff = heard_until - timedelta(seconds=video_settings.STUCK_RUNNING_S)
    queued_cutoff = heard_until - timedelta(seconds=video_settings.STUCK_QUEUED_S)
    # last_event_at is the runner's clock on its last report (0 before any): a silent job has an old one, and
    # was started (the first report sets started_at) before the cutoff too.
    silent = Q(status=Status.RUNNING, last_event_at__lt=running_cutoff.timestamp()) & (
        Q(started_at__lt=running_cutoff) | Q(started_at__isnull=True, created_at__lt=running_cutoff)
    )
    never_started = Q(status=Status.QUEUED, created_at__lt=queued_cutoff)
    return VideoJob.objects.filter(silent | never_started)


def reports_waiting() -> int:
    """How many messages wait on the events queue (runners' reports among them); 0 where the broker has no
    count."""
    return queue_depth(dramatiq.get_broker(), EVENTS_QUEUE) or 0


def fail_stuck_jobs(heard_until: datetime, now: datetime | None = None) -> list[VideoJob]:
    """Fail every job stuck as of ``heard_until`` (a moment when no report was waiting on the events queue)
    with ``timed_out``; returns the jobs this call failed."""
    now = now or timezone.now()
    failed = []
    for pk in stuck_jobs(heard_until).values_list("pk", flat=True):
        with transaction.atomic():
            # Locked and re-checked: a report may have arrived, or another watchdog got here first.
            job = stuck_jobs(heard_until).select_for_update(skip_locked=True).filter(pk=pk).first()
            if job is None:
                continue
            job.status = Status.FAILED
            job.error_code = ErrorCode.TIMED_OUT
            job.error_message = stuck_reason(job, now)
            job.eta_s = None
            job.finished_at = now
            job.save()
            queue_deliveries(job)
            transaction.on_commit(lambda job_id=job.job_id: raise_cancel_flag(job_id))
            transaction.on_commit(lambda trigger=job.trigger: job_reached(Status.FAILED, trigger))
        logger.warning("watchdog failed job %s: %s", job.job_id, job.error_message)
        failed.append(job)
    return failed


def stuck_reason(job: VideoJob, now: datetime) -> str:
    """What the editor reads on a job the watchdog failed: what happened and what to check."""
    if job.status == Status.QUEUED or job.started_at is None:
        waited = _duration(now - job.created_at)
        # Translators: %(waited)s is a duration such as "12 min"; keep gpu_runner and REDIS_URL.
        return _(
            "no video runner started this job in %(waited)s; check that a gpu_runner is running against the "
            "same REDIS_URL as this site, then generate the video again"
        ) % {"waited": waited}
    silent = _duration(now - datetime.fromtimestamp(job.last_event_at or 0, tz=now.tzinfo))
    # Translators: %(silent)s is a duration such as "12 min", %(stage)s a technical stage name kept in
    # English ("tts", "start"), %(attempt)s a number.
    return _(
        "the video runner stopped reporting on this job %(silent)s ago (stage %(stage)s, attempt "
        "%(attempt)s); it may have crashed. Generate the video again; if this repeats, check the runner's "
        "log and its /health page"
    ) % {"silent": silent, "stage": job.stage or "start", "attempt": job.attempt}


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes >= 120:
        # Translators: a duration in hours, abbreviated.
        return _("%(hours)s h") % {"hours": minutes // 60}
    if minutes:
        # Translators: a duration in minutes, abbreviated.
        return _("%(minutes)s min") % {"minutes": minutes}
    # Translators: a duration in seconds, abbreviated.
    return _("%(seconds)s s") % {"seconds": int(delta.total_seconds())}


def watch_once(heard_until: datetime | None) -> datetime | None:
    """One pass of :func:`watch`: judge the jobs up to the last moment no report was waiting, and return that
    moment (``heard_until`` again while reports wait; ``None`` until the queue has been seen empty once)."""
    # Read before the queue is counted: an empty queue then means every report sent by now is in.
    now = timezone.now()
    if reports_waiting() == 0:
        heard_until = now
    if heard_until is not None:
        fail_stuck_jobs(heard_until, now)
    return heard_until


def watch(interval_s: float, stop: threading.Event) -> None:
    """Fail stuck jobs every ``interval_s`` seconds until ``stop`` is set. An error is logged, never fatal."""
    heard_until: datetime | None = None
    while True:
        started = time.monotonic()
        # A fresh connection each pass: the loop outlives any one connection (the database may restart).
        close_old_connections()
        try:
            heard_until = watch_once(heard_until)
        except Exception:  # noqa: BLE001 - the database or the broker may be down a while; the next pass retries
            logger.exception("video watchdog pass failed; trying again in %s s", interval_s)
        finally:
            close_old_connections()
        if stop.wait(max(0.0, interval_s - (time.monotonic() - started))):
            return
