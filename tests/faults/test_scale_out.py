"""Two runner processes on one broker share the work: every job is done exactly once, and both did some."""

from __future__ import annotations

import pytest
from wagtailmedia.models import get_media_model

from tests.conftest import make_image
from tests.factories import make_presenter
from tests.faults.conftest import BOTH_BROKERS
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    BOTH_BROKERS,
]

JOBS = 6


def test_two_runners_complete_every_job_once_and_share_them(make_stack, shop_after_stack):
    # 20 ms a frame: a job lasts long enough that one runner cannot drain the queue before the other fetches.
    stack = make_stack(GPU_RUNNER_TEST_FRAME_DELAY_S="0.02")
    stack.start_runner("runner-2", GPU_RUNNER_TEST_FRAME_DELAY_S="0.02")
    shop = shop_after_stack()
    index, admin = shop.index["acme"], shop.users[("admin", "acme")]
    from shop.models import ProductPage

    jobs = []
    for number in range(JOBS):
        page = index.add_child(
            instance=ProductPage(title=f"Lamp {number}", description="<p>A lamp.</p>", price=1)
        )
        image = make_image(f"presenter {number}", shop.orgs["acme"].collection)
        make_presenter(image, shop.orgs["acme"].pk)
        jobs.append(
            request_video(page, admin, VideoJob.Trigger.EDITOR, script=f"Lamp number {number}.", image=image)
        )

    stack.wait_for(
        lambda: VideoJob.objects.filter(pk__in=[j.pk for j in jobs], status="succeeded").count() == JOBS,
        timeout=120,
        what=f"{JOBS} jobs did not all succeed",
    )
    done = [stack.runner_state(name)["jobs_done"] for name in ("runner", "runner-2")]
    assert sum(done) == JOBS and min(done) >= 1, done  # each job rendered once, by one runner or the other
    finished = VideoJob.objects.filter(pk__in=[j.pk for j in jobs])
    assert {job.attempt for job in finished} == {1}
    assert get_media_model().objects.filter(collection=shop.orgs["acme"].collection).count() == JOBS
    assert len({job.output_key for job in finished}) == JOBS
