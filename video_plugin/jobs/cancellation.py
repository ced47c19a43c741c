"""Cancelling a job: the database says so at once, and the runner is told through its cancel flag in Redis.

The runner checks :func:`gpu_runner.protocol.cancel_key` before each stage and between diffusion clips,
stops, and reports ``cancelled``; :mod:`video_plugin.jobs.lifecycle` ignores that report (and any later one)
because the job is already terminal here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gpu_runner.protocol import ErrorCode, cancel_key
from video_plugin.jobs.brokers import shared_redis
from video_plugin.models import VideoJob

logger = logging.getLogger(__name__)

# A cancelled job may wait in the render queue a long time before a runner takes it and sees the flag.
CANCEL_FLAG_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Cancellation:
    """What cancelling did: whether the job changed, and whether the runner could be told."""

    job: VideoJob
    cancelled: bool
    runner_told: bool


def cancel_job(job: VideoJob, user_name: str) -> Cancellation:
    """Mark ``job`` cancelled if it is queued or running, and raise its cancel flag for the runner."""
    with transaction.atomic():
        locked = VideoJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in VideoJob.ACTIVE:
            return Cancellation(job=locked, cancelled=False, runner_told=False)
        locked.status = VideoJob.Status.CANCELLED
        locked.error_code = ErrorCode.CANCELLED
        # Translators: %(who)s is the name of the person (or API token) who cancelled the job.
        locked.error_message = _("cancelled by %(who)s") % {"who": user_name}
        locked.eta_s = None
        locked.finished_at = timezone.now()
        locked.save()
    return Cancellation(job=locked, cancelled=True, runner_told=raise_cancel_flag(locked.job_id))


def raise_cancel_flag(job_id: str) -> bool:
    """Set the runner's cancel flag for ``job_id``. False when Redis is not the broker or is unreachable."""
    redis = shared_redis()
    if redis is None:
        return False
    try:
        redis.set(cancel_key(job_id), "1", ex=CANCEL_FLAG_TTL_S)
    except Exception as exc:  # noqa: BLE001 - the job is cancelled in the database either way; the panel says so
        logger.warning("could not set the cancel flag of job %s: %s", job_id, exc)
        return False
    return True


def cancel_flag_raised(job_id: str) -> bool:
    """Whether ``job_id``'s cancel flag is up (for a week after it was raised). False when it cannot be read:
    a caller deciding to delete something on its word must not do so when unsure."""
    redis = shared_redis()
    if redis is None:
        return False
    try:
        return bool(redis.exists(cancel_key(job_id)))
    except Exception as exc:  # noqa: BLE001 - unsure reads as "not raised"
        logger.warning("could not read the cancel flag of job %s: %s", job_id, exc)
        return False
