"""A job whose runner died and was never replaced is failed ``timed_out`` by the events worker's watchdog."""

from __future__ import annotations

import pytest
import redis

from gpu_runner.protocol import ErrorCode, cancel_key
from tests.faults.conftest import BOTH_BROKERS, SCRIPT, SLOW_FRAMES
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    BOTH_BROKERS,
]


def test_watchdog_fails_a_job_silent_past_its_limit(make_stack, shop_after_stack):
    stack = make_stack(events_worker=False, **SLOW_FRAMES)
    stack.start_events_worker(DJANGO_SETTINGS_MODULE="tests.faults.worker_settings")
    shop = shop_after_stack()
    job = request_video(
        shop.product["acme"], shop.users[("admin", "acme")], VideoJob.Trigger.EDITOR, script=SCRIPT
    )
    stack.wait_for_job(lambda j: j.pk == job.pk and j.stage == "render", timeout=60)

    stack.kill("runner")  # and no runner comes back: the job can only be ended by the watchdog
    done = stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=30)

    assert done.status == VideoJob.Status.FAILED and done.error_code == ErrorCode.TIMED_OUT
    assert "stopped reporting" in done.error_message and "stage render" in done.error_message
    # Were that runner only slow, its cancel flag now tells it to stop (raised just after the commit).
    flags = redis.Redis.from_url(stack.redis_url)
    stack.wait_for(lambda: flags.exists(cancel_key(done.job_id)), timeout=5, what="no cancel flag was raised")
