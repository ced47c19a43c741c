"""The events worker is down while the runner finishes: the reports wait in the broker, then apply."""

from __future__ import annotations

import pytest
from wagtailmedia.models import get_media_model

from gpu_runner.protocol import EVENTS_QUEUE
from tests.faults.conftest import BOTH_BROKERS, SCRIPT, job_files, video_prefix
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    BOTH_BROKERS,
]


def test_reports_wait_in_the_broker_until_the_events_worker_returns(make_stack, shop_after_stack):
    stack = make_stack(events_worker=False)
    shop = shop_after_stack()
    job = request_video(
        shop.product["acme"], shop.users[("owner", "acme")], VideoJob.Trigger.EDITOR, script=SCRIPT
    )

    stack.wait_for(
        lambda: stack.runner_state()["jobs_done"] == 1, timeout=60, what="the runner did not finish"
    )
    # Finished on the runner's side, files uploaded; nobody has told the database yet.
    job.refresh_from_db()
    assert job.status == VideoJob.Status.QUEUED and job.media_id is None
    assert stack.keys_under(video_prefix(job)) == job_files(job)
    waiting = stack.queue_depth(EVENTS_QUEUE)
    assert waiting >= 3  # started, progress…, succeeded

    stack.start_events_worker()
    done = stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=60)
    assert done.status == VideoJob.Status.SUCCEEDED, (done.error_code, done.error_message)
    assert done.is_current and get_media_model().objects.get(pk=done.media_id).file.name == done.output_key
    stack.wait_for(
        lambda: stack.queue_depth(EVENTS_QUEUE) == 0,
        timeout=30,
        what="the events queue did not drain",
    )
