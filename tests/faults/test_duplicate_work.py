"""No duplicate work: identical input reuses a finished video; racing requests for a page make one job."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from gpu_runner.protocol import RENDER_QUEUE
from tests.conftest import ShopWorld
from tests.faults.conftest import BOTH_BROKERS, SCRIPT
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@BOTH_BROKERS
def test_identical_input_reuses_the_finished_video_without_rendering(make_stack, shop_after_stack):
    stack = make_stack()
    shop = shop_after_stack()
    page, admin = shop.product["acme"], shop.users[("admin", "acme")]
    first = request_video(page, admin, VideoJob.Trigger.EDITOR, script=SCRIPT)
    first = stack.wait_for_job(lambda j: j.pk == first.pk and j.is_terminal, timeout=60)
    assert first.status == VideoJob.Status.SUCCEEDED

    again = request_video(page, admin, VideoJob.Trigger.EDITOR, script=SCRIPT)

    assert again.pk != first.pk and again.status == VideoJob.Status.SUCCEEDED
    assert again.attempt == 0 and again.media_id == first.media_id and again.output_key == first.output_key
    assert again.input_hash == first.input_hash
    first.refresh_from_db()
    assert again.is_current and not first.is_current
    # Never sent: the render queue is empty and the runner rendered one video only.
    assert stack.queue_depth(RENDER_QUEUE) == 0
    assert stack.runner_state()["jobs_done"] == 1
    # A different script is different input: that one renders.
    other = request_video(page, admin, VideoJob.Trigger.EDITOR, script=SCRIPT + " Now in blue.")
    assert other.status == VideoJob.Status.QUEUED


@pytest.mark.parametrize("trigger", [VideoJob.Trigger.EDITOR, VideoJob.Trigger.PUBLISH])
def test_racing_requests_for_one_page_create_one_job(transactional_db, trigger):
    shop = ShopWorld()
    page, admin = shop.product["acme"], shop.users[("admin", "acme")]
    racers = 6
    barrier = threading.Barrier(racers)
    job_ids: list[str] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            job_ids.append(request_video(page, admin, trigger, script=SCRIPT).job_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own PostgreSQL connection

    threads = [threading.Thread(target=click) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert len(job_ids) == racers and len(set(job_ids)) == 1
    assert VideoJob.objects.filter(page_id=page.pk).count() == 1
