"""A runner killed with SIGKILL mid-render: the job is delivered again and attached exactly once.

Redis gives the job back once the dead runner's heartbeat is stale; RabbitMQ the moment its connection drops.
"""

from __future__ import annotations

import time

import pytest
from wagtailmedia.models import get_media_model

from tests.faults.conftest import BOTH_BROKERS, FAST_REDELIVERY, SCRIPT, SLOW_FRAMES, job_files, video_prefix
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    BOTH_BROKERS,
]

# Heartbeat timeout (2 s, Redis) + a replacement runner's boot + a fetch or two: well under this.
REDELIVERY_BOUND_S = 30


def test_killed_runner_job_is_redelivered_and_attached_once(make_stack, shop_after_stack):
    stack = make_stack(**FAST_REDELIVERY, **SLOW_FRAMES)
    shop = shop_after_stack()
    page = shop.product["acme"]
    job = request_video(page, shop.users[("admin", "acme")], VideoJob.Trigger.EDITOR, script=SCRIPT)

    stack.wait_for_job(
        lambda j: j.pk == job.pk and j.stage == "render" and (j.fraction or 0) > 0.1, timeout=60
    )
    stack.kill("runner")
    killed_at = time.monotonic()
    # The killed attempt got no further than rendering: nothing of it is in the bucket.
    assert stack.keys_under(video_prefix(job)) == set()

    # The restarted runner (a supervisor would do this) renders at full speed.
    stack.start_runner("runner-restarted", **FAST_REDELIVERY)
    again = stack.wait_for_job(lambda j: j.pk == job.pk and j.attempt == 2, timeout=REDELIVERY_BOUND_S)
    assert time.monotonic() - killed_at < REDELIVERY_BOUND_S
    done = stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=60)

    assert done.status == VideoJob.Status.SUCCEEDED, (done.error_code, done.error_message, stack.tail_logs())
    assert again.attempt == done.attempt == 2
    # Exactly one Media for the job's key, one Media in the organization's collection, one current video.
    media = get_media_model().objects.filter(collection=shop.orgs["acme"].collection)
    assert [m.file.name for m in media] == [done.output_key]
    assert VideoJob.objects.filter(page_id=page.pk, is_current=True).count() == 1
    # The output key is the same for every attempt: the bucket holds the job's three files, nothing else.
    assert stack.keys_under(video_prefix(done)) == job_files(done)
    assert stack.runner_state("runner-restarted")["jobs_done"] == 1
