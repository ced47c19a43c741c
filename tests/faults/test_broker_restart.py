"""The broker restarts in the middle of a job: the runner and the events worker reconnect and the job
finishes, rendered once.

Redis (with persistence) comes back with every message and claim as it was: the runner just waits for it.
RabbitMQ comes back with its durable queues and persistent messages, and puts the message the runner held back
on the queue, since that connection is gone; the runner, which went on rendering, reports the job finished and
does not render it a second time when the message comes round again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from wagtailmedia.models import get_media_model

from tests.faults.conftest import BOTH_BROKERS, SCRIPT, SLOW_FRAMES, job_files, video_prefix
from tests.services import redis_server
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    BOTH_BROKERS,
]


@contextmanager
def restartable_broker(
    broker: str, request: pytest.FixtureRequest, folder: Path
) -> Iterator[tuple[Any, dict]]:
    """The server to restart, and the ``make_stack`` options that put the stack on it."""
    if broker == "rabbitmq":
        yield request.getfixturevalue("rabbitmq"), {}
        return
    with redis_server(folder) as server:  # the test's own Redis: the shared one is never restarted
        yield server, {"redis_url": server.url}


def test_job_survives_a_broker_restart_mid_render(make_stack, shop_after_stack, broker, request, tmp_path):
    with restartable_broker(broker, request, tmp_path) as (server, on_it):
        stack = make_stack(**on_it, **SLOW_FRAMES)
        shop = shop_after_stack()
        admin = shop.users[("admin", "acme")]
        job = request_video(shop.product["acme"], admin, VideoJob.Trigger.EDITOR, script=SCRIPT)
        stack.wait_for_job(lambda j: j.pk == job.pk and j.stage == "render" and (j.fraction or 0) > 0, 60)

        server.restart(down_s=2.0, kill=True)  # a crash, two seconds down, back on the same port

        done = stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=90)
        assert done.status == VideoJob.Status.SUCCEEDED, (
            done.error_code,
            done.error_message,
            stack.tail_logs(),
        )
        assert done.attempt == 1  # the runner kept rendering through the outage; it did not start over
        assert get_media_model().objects.filter(file=done.output_key).count() == 1
        assert stack.keys_under(video_prefix(done)) == job_files(done)

        # Both processes are connected again: a new job goes through end to end.
        second = request_video(
            shop.product["bluebird"], shop.users[("admin", "bluebird")], VideoJob.Trigger.EDITOR
        )
        finished = stack.wait_for_job(lambda j: j.pk == second.pk and j.is_terminal, timeout=90)
        assert finished.status == VideoJob.Status.SUCCEEDED, (finished.error_code, finished.error_message)
        assert stack.alive("runner") and stack.alive("events")
        # Rendered once each: a message RabbitMQ gave back after the restart was recognised as finished.
        assert stack.runner_state()["jobs_done"] == 2
