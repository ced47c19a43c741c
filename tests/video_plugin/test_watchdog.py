"""The watchdog's rules: which jobs are stuck, and that reports still waiting on the events queue are never
taken for silence (an events worker catching up on a backlog must not fail the jobs the backlog is about)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import dramatiq
import pytest
from django.core.management import call_command
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from gpu_runner.messaging import send
from gpu_runner.protocol import EVENTS_QUEUE, ErrorCode, VideoEvent
from video_plugin.jobs.watchdog import fail_stuck_jobs, reports_waiting, watch_once
from video_plugin.models import VideoJob

pytestmark = pytest.mark.django_db

LIMIT_S = 600


@pytest.fixture(autouse=True)
def limits(settings: Any) -> None:
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "STUCK_RUNNING_S": LIMIT_S, "STUCK_QUEUED_S": 3600}


def running_job(world: Any, silent_s: float, stage: str = "render", org: str = "acme") -> VideoJob:
    """A running job on ``org``'s product, its runner's last report ``silent_s`` seconds ago, in ``stage``."""
    job = VideoJob.objects.create(
        organization_id=world.orgs[org].pk,
        page=world.product[org],
        trigger=VideoJob.Trigger.EDITOR,
        voice="espeak:en-us",
        renderer="still",
    )
    last = timezone.now() - timedelta(seconds=silent_s)
    VideoJob.objects.filter(pk=job.pk).update(
        status=VideoJob.Status.RUNNING,
        stage=stage,
        started_at=last - timedelta(seconds=5),
        last_event_at=last.timestamp(),
        created_at=last - timedelta(seconds=10),
    )
    return VideoJob.objects.get(pk=job.pk)


def a_report(job: VideoJob) -> None:
    """A runner's progress report on ``job``, left waiting on the events queue (no events worker runs)."""
    event = VideoEvent(job_id=job.job_id, attempt=1, type="progress", stage="render", fraction=0.5)
    send(dramatiq.get_broker(), event.envelope())


def test_a_job_silent_past_the_limit_fails_saying_where_it_stopped(world: Any) -> None:
    silent = running_job(world, silent_s=LIMIT_S + 60, stage="encode")
    alive = running_job(world, silent_s=LIMIT_S - 60, org="bluebird")

    now = timezone.now()
    assert [job.pk for job in fail_stuck_jobs(heard_until=now, now=now)] == [silent.pk]

    silent.refresh_from_db()
    assert silent.status == VideoJob.Status.FAILED and silent.error_code == ErrorCode.TIMED_OUT
    assert "stopped reporting on this job 11 min ago (stage encode" in silent.error_message
    assert VideoJob.objects.get(pk=alive.pk).status == VideoJob.Status.RUNNING


def test_silence_is_judged_only_up_to_the_moment_every_report_was_in(world: Any) -> None:
    job = running_job(world, silent_s=LIMIT_S + 60)
    now = timezone.now()

    # Two minutes ago the job had been silent 9 minutes: under the limit, whatever the clock says now.
    assert fail_stuck_jobs(heard_until=now - timedelta(seconds=120), now=now) == []
    assert VideoJob.objects.get(pk=job.pk).status == VideoJob.Status.RUNNING


def test_reports_waiting_counts_the_events_queue(world: Any, redis_broker: RedisBroker) -> None:
    job = running_job(world, silent_s=1)
    assert reports_waiting() == 0
    a_report(job)
    a_report(job)
    assert reports_waiting() == 2


def test_a_pass_fails_nothing_while_reports_wait_and_judges_once_they_are_in(
    world: Any, redis_broker: RedisBroker
) -> None:
    job = running_job(world, silent_s=LIMIT_S + 60)
    a_report(job)  # a report the events worker has not read yet: the job may well be alive

    assert watch_once(None) is None
    assert VideoJob.objects.get(pk=job.pk).status == VideoJob.Status.RUNNING
    earlier = timezone.now() - timedelta(seconds=120)  # the queue was last seen empty two minutes ago
    assert watch_once(earlier) == earlier
    assert VideoJob.objects.get(pk=job.pk).status == VideoJob.Status.RUNNING

    redis_broker.flush(EVENTS_QUEUE)  # the backlog read, and (in this test) the report said nothing new
    assert watch_once(earlier) > earlier
    job.refresh_from_db()
    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.TIMED_OUT


def test_the_command_judges_nothing_while_reports_wait(world: Any, redis_broker: RedisBroker) -> None:
    job = running_job(world, silent_s=LIMIT_S + 60)
    a_report(job)

    out = StringIO()
    call_command("video_watchdog", stdout=out)
    assert "1 message(s) wait on the events queue; no job judged" in out.getvalue()
    assert VideoJob.objects.get(pk=job.pk).status == VideoJob.Status.RUNNING

    redis_broker.flush(EVENTS_QUEUE)
    out = StringIO()
    call_command("video_watchdog", stdout=out)
    assert f"failed {job.job_id}" in out.getvalue() and "1 stuck job(s) failed" in out.getvalue()


def test_a_queued_job_no_runner_started_fails_after_its_limit(world: Any) -> None:
    job = running_job(world, silent_s=0)
    VideoJob.objects.filter(pk=job.pk).update(
        status=VideoJob.Status.QUEUED, started_at=None, last_event_at=0.0, created_at=timezone.now()
    )
    now = timezone.now()
    assert fail_stuck_jobs(heard_until=now + timedelta(seconds=3599), now=now) == []
    failed = fail_stuck_jobs(heard_until=now + timedelta(seconds=3601), now=now)
    assert [f.pk for f in failed] == [job.pk]
    assert "no video runner started this job" in failed[0].error_message
