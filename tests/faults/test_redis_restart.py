"""Redis restarts in the middle of a job: the runner and the events worker reconnect and the job finishes."""

from __future__ import annotations

import pytest
from wagtailmedia.models import get_media_model

from tests.faults.conftest import SCRIPT, SLOW_FRAMES, job_files, video_prefix
from tests.services import redis_server
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_job_survives_a_redis_restart_mid_render(make_stack, shop_after_stack, tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(folder) as server:  # the test's own Redis: the shared one is never restarted
        stack = make_stack(redis_url=server.url, **SLOW_FRAMES)
        shop = shop_after_stack()
        admin = shop.users[("admin", "acme")]
        job = request_video(shop.product["acme"], admin, VideoJob.Trigger.EDITOR, script=SCRIPT)
        stack.wait_for_job(lambda j: j.pk == job.pk and j.stage == "render" and (j.fraction or 0) > 0, 60)

        server.restart(down_s=2.0, kill=True)  # a crash, two seconds down, back on the same port

        done = stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=60)
        assert done.status == VideoJob.Status.SUCCEEDED, (
            done.error_code,
            done.error_message,
            stack.tail_logs(),
        )
        assert done.attempt == 1  # the runner waited for Redis; it did not start over
        assert get_media_model().objects.filter(file=done.output_key).count() == 1
        assert stack.keys_under(video_prefix(done)) == job_files(done)

        # Both processes are connected again: a new job goes through end to end.
        second = request_video(
            shop.product["bluebird"], shop.users[("admin", "bluebird")], VideoJob.Trigger.EDITOR
        )
        finished = stack.wait_for_job(lambda j: j.pk == second.pk and j.is_terminal, timeout=60)
        assert finished.status == VideoJob.Status.SUCCEEDED, (finished.error_code, finished.error_message)
        assert stack.alive("runner") and stack.alive("events")
