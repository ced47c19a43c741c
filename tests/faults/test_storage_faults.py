"""Storage that answers 5xx or drops connections: uploads are retried with backoff, then fail clearly."""

from __future__ import annotations

import pytest
from wagtailmedia.models import get_media_model

from gpu_runner.protocol import ErrorCode
from tests.faults.conftest import job_files, video_prefix
from tests.faults.storage_proxy import StorageFaultProxy
from tests.stack import storage_url
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BACKOFF_S = 0.2
ATTEMPTS = 4
RUNNER_STORAGE = {
    "GPU_RUNNER_STORAGE_BACKOFF_S": str(BACKOFF_S),
    "GPU_RUNNER_STORAGE_ATTEMPTS": str(ATTEMPTS),
}


def start_runner_behind(stack, proxy: StorageFaultProxy) -> None:
    """The runner reaches storage only through ``proxy``; the test process and the plugin go direct."""
    stack.start_runner(VIDEO_STORAGE_URL=storage_url(stack.bucket, proxy.endpoint), **RUNNER_STORAGE)


def test_upload_is_retried_with_backoff_until_storage_recovers(make_stack, shop_after_stack):
    stack = make_stack(runner=False)
    shop = shop_after_stack()
    with StorageFaultProxy(stack.s3_endpoint, failures=2) as proxy:
        start_runner_behind(stack, proxy)
        job = request_video(shop.product["acme"], shop.users[("admin", "acme")], VideoJob.Trigger.EDITOR)
        done = stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=60)

    assert done.status == VideoJob.Status.SUCCEEDED, (done.error_code, done.error_message, stack.tail_logs())
    # The first upload (the poster) failed twice and went through on its third try; the rest went straight in.
    first = [put for put in proxy.puts if put.path == proxy.puts[0].path]
    assert [put.failed for put in first] == [True, True, False]
    gaps = [later.at - earlier.at for earlier, later in zip(first, first[1:], strict=False)]
    assert gaps[0] >= BACKOFF_S and gaps[1] >= 2 * BACKOFF_S  # exponential backoff
    # Two failed tries, then each file once: the main video's three and each finished format's three.
    assert len(proxy.puts) == 2 + len(job_files(done))
    assert stack.keys_under(video_prefix(done)) == job_files(done)
    assert get_media_model().objects.filter(file=done.output_key).count() == 1


@pytest.mark.parametrize("mode", ["503", "drop"])
def test_storage_that_keeps_failing_fails_the_job_with_the_reason(make_stack, shop_after_stack, mode):
    stack = make_stack(runner=False)
    shop = shop_after_stack()
    with StorageFaultProxy(stack.s3_endpoint, failures=None, mode=mode) as proxy:
        start_runner_behind(stack, proxy)
        job = request_video(shop.product["acme"], shop.users[("admin", "acme")], VideoJob.Trigger.EDITOR)
        done = stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=60)

        assert done.status == VideoJob.Status.FAILED
        assert done.error_code == ErrorCode.STORAGE_UNREACHABLE
        assert (
            f"after {ATTEMPTS} attempts" in done.error_message and "VIDEO_STORAGE_URL" in done.error_message
        )
        assert len(proxy.puts) == ATTEMPTS and all(put.failed for put in proxy.puts)
        assert done.media_id is None and stack.keys_under(video_prefix(done)) == set()
        # The runner is still up and serving.
        state = stack.runner_state()
        assert state["status"] == "ready" and state["jobs_failed"] == 1
