"""Applying the runner's ``video_event`` reports to jobs: the state machine, idempotent under redelivery.

Delivery is at-least-once and unordered across retries, so every report is checked against the job first:
reports for an older attempt, reports older than the last applied one, and anything after a terminal state are
ignored. A report is applied at most once in effect, however often it arrives.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from gpu_runner.protocol import VideoEvent
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.cancellation import cancel_flag_raised
from video_plugin.jobs.leftovers import discard_upload
from video_plugin.metrics_worker import job_reached
from video_plugin.models import VideoJob
from video_plugin.webhooks.delivery import queue_deliveries

logger = logging.getLogger(__name__)

Status = VideoJob.Status

# The status each event type moves a job to.
TARGET_STATUS = {
    "started": Status.RUNNING,
    "progress": Status.RUNNING,
    "succeeded": Status.SUCCEEDED,
    "failed": Status.FAILED,
    "cancelled": Status.CANCELLED,
}


def apply_event(event: VideoEvent) -> bool:
    """Apply one report to its job. Returns whether the job changed."""
    with transaction.atomic():
        job = VideoJob.objects.select_for_update().filter(job_id=event.job_id).first()
        if job is None:
            logger.warning("video_event for unknown job %s (%s) ignored", event.job_id, event.type)
            # Its cancel flag still up says it was deleted here while active (video_plugin.jobs.leftovers).
            if event.result is not None and cancel_flag_raised(event.job_id):
                discard_upload(event.job_id, event.result)  # rendered for a page deleted meanwhile
            return False
        reason = why_ignored(job, event)
        if reason:
            logger.info("video_event %s for job %s ignored: %s", event.type, job.job_id, reason)
            late = event.result is not None and job.status == Status.CANCELLED
            if late and event.result.key == job.output_key:
                discard_upload(job.job_id, event.result)  # finished past the runner's last look at the flag
            return False
        now = timezone.now()
        job.attempt = event.attempt
        job.last_event_at = max(job.last_event_at, event.sent_at)
        reached = TARGET_STATUS[event.type] != job.status
        job.status = TARGET_STATUS[event.type]
        if reached:
            transaction.on_commit(lambda state=job.status, trigger=job.trigger: job_reached(state, trigger))
        record_info(job, event)
        if job.started_at is None:
            job.started_at = started_at(event, now)
        if event.type in ("started", "progress"):
            job.stage = event.stage or job.stage
            job.fraction = event.fraction if event.fraction is not None else job.fraction
            job.eta_s = event.eta_s
        else:
            job.finished_at = now
            job.eta_s = None
        if event.type == "succeeded":
            job.fraction = 1.0
            job.stage = ""
            job.error_code = job.error_message = ""
            attach_video(job, event.result)  # saves the job with its media and makes it current
            queue_deliveries(job)
            return True
        if event.error is not None:
            job.error_code = event.error.code
            job.error_message = event.error.message
        job.save()
        queue_deliveries(job)  # webhooks for a failed job; nothing for progress or cancellation
        return True


def why_ignored(job: VideoJob, event: VideoEvent) -> str:
    """Why ``event`` must not change ``job``, or an empty string when it applies."""
    if job.is_terminal:
        return f"the job already {job.status}"
    if event.attempt < job.attempt:
        return f"attempt {event.attempt} is older than the job's attempt {job.attempt}"
    if event.attempt == job.attempt and event.sent_at and event.sent_at < job.last_event_at:
        return "an older report than one already applied"
    if event.type == "started" and job.status == Status.RUNNING and event.attempt == job.attempt:
        return "the job is already running"
    return ""


def record_info(job: VideoJob, event: VideoEvent) -> None:
    """Keep what actually ran (voice, renderer, weights, fallbacks, timings) and, at the end, the renditions
    and the finished sound."""
    facts = dict(event.info)
    if event.result is not None:
        result = event.result
        facts.update(
            voice_engine=result.voice_engine,
            voice=result.voice,
            renderer=result.renderer,
            weights=result.weights,
            fallbacks=result.fallbacks,
            timings=result.timings,
        )
        # Checked by the contract (VideoEvent.from_dict): each rendition sits beside the main video.
        job.renditions = [dict(rendition) for rendition in result.renditions]
        job.audio = dict(result.audio)
        job.credentials = dict(result.credentials)
    for field, key in (
        ("voice_engine", "voice_engine"),
        ("voice_used", "voice"),
        ("renderer_used", "renderer"),
        ("weights", "weights"),
    ):
        if isinstance(facts.get(key), str):
            setattr(job, field, facts[key][: VideoJob._meta.get_field(field).max_length])
    if isinstance(facts.get("fallbacks"), list):
        # The notes the web side made when it planned the composition stay; the runner's follow them once.
        reported = [str(f) for f in facts["fallbacks"]]
        job.fallbacks = list(dict.fromkeys([*job.fallbacks, *reported]))
    if isinstance(facts.get("timings"), dict):
        job.timings = {str(k): float(v) for k, v in facts["timings"].items() if isinstance(v, int | float)}


def started_at(event: VideoEvent, now: datetime) -> datetime:
    """When the runner started the job: its own clock when it sent one, else the time the report arrived."""
    if event.type == "started" and event.sent_at:
        return datetime.fromtimestamp(event.sent_at, tz=timezone.get_current_timezone())
    return now
