"""Every ``/metrics`` after one job on the real system: the web side's, the events worker's (Dramatiq's
Prometheus middleware and our counters, from its worker process through the exposition server it forks) and
the runner's; each moved as the job says, and none names the job, its script or a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gpu_runner.protocol import EVENT_ACTOR, EVENTS_QUEUE, INTERACTIVE_LANE, RENDER_ACTOR
from tests.conftest import ShopWorld
from tests.scrape import Scrape, scrape
from tests.services import free_port, wait_for_http
from tests.stack import Stack, running_stack
from tests.video_plugin.test_webhooks import Receiver
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob, WebhookDelivery, WebhookEndpoint
from video_plugin.webhooks.delivery import WEBHOOK_ACTOR

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TOKEN = "metrics-" + "Zr4w" * 8
SCRIPT = "Quillon Marveldine presents the zephyr-grey teapot."
LANE = INTERACTIVE_LANE.queue


class Endpoints:
    """The three scrapes: the site (through the test client), the events worker and the runner."""

    def __init__(self, client: Any, stack: Stack, events_url: str) -> None:
        self.client, self.stack, self.events_url = client, stack, events_url

    def site(self) -> Scrape:
        response = self.client.get("/video/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        return Scrape(response.content.decode())

    def events(self) -> Scrape:
        return scrape(self.events_url)

    def runner(self) -> Scrape:
        return scrape(self.stack.runner_health.replace("/health", "/metrics"))


@pytest.fixture
def endpoints(
    transactional_db: Any, stub_broker: Any, e2e_s3_endpoint: str, settings: Any, tmp_path: Path, client: Any
) -> Iterator[Endpoints]:
    settings.WAGTAIL_VIDEO = {
        **settings.WAGTAIL_VIDEO,
        "METRICS_TOKEN": TOKEN,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True,
    }
    port = free_port()
    with running_stack(settings, settings.REDIS_URL, e2e_s3_endpoint, tmp_path, events_worker=False) as stack:
        # An exposition port and a figures folder of this test's: another worker's figures never mix in.
        (tmp_path / "prometheus").mkdir()
        stack.start_events_worker(
            DJANGO_SETTINGS_MODULE="tests.e2e.metrics_worker_settings",
            dramatiq_prom_host="127.0.0.1",
            dramatiq_prom_port=str(port),
            dramatiq_prom_db=str(tmp_path / "prometheus"),
        )
        url = f"http://127.0.0.1:{port}/"
        if not wait_for_http(url, timeout=60):
            pytest.fail(f"the events worker serves no metrics on {url}\n{stack.tail_logs()}")
        yield Endpoints(client, stack, url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_a_job_moves_the_figures_of_the_site_the_events_worker_and_the_runner(
    endpoints: Endpoints, receiver: Receiver
) -> None:
    world = ShopWorld()  # after the stack: its images go to the stack's bucket
    WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url=receiver.url, events=["video.succeeded"]
    )
    site, events, runner = endpoints.site(), endpoints.events(), endpoints.runner()

    job = request_video(world.product["acme"], None, VideoJob.Trigger.API, script=SCRIPT)
    stack = endpoints.stack
    job = stack.wait_for_job(lambda candidate: candidate.pk == job.pk and candidate.is_terminal)
    assert job.status == VideoJob.Status.SUCCEEDED, (job.error_code, job.error_message, stack.tail_logs())
    stack.wait_for(
        lambda: WebhookDelivery.objects.filter(job=job, status="succeeded").exists(),
        timeout=30,
        what="the webhook was not delivered",
    )
    site_after, events_after, runner_after = endpoints.site(), endpoints.events(), endpoints.runner()

    # The site: the job is counted succeeded on its lane, nothing waits on the queue, one delivery made.
    assert site_after.moved(site, "video_jobs", state="succeeded", lane=LANE) == 1
    assert site_after.value("video_jobs", state="queued", lane=LANE) == 0
    assert site_after.value("video_queue_depth", lane=LANE) == 0
    assert site_after.moved(site, "video_webhook_deliveries", outcome="delivered") == 1

    # The events worker: our counters, written by its worker process, and Dramatiq's own figures.
    for state in ("running", "succeeded"):
        assert events_after.moved(events, "video_job_states_total", state=state, lane=LANE) == 1, state
    assert events_after.moved(events, "video_job_states_total", state="failed", lane=LANE) == 0
    assert events_after.moved(events, "video_webhook_attempts_total", outcome="delivered") == 1
    webhook = {"queue_name": EVENTS_QUEUE, "actor_name": WEBHOOK_ACTOR}
    assert events_after.moved(events, "dramatiq_messages_total", **webhook) == 1
    reports = {"queue_name": EVENTS_QUEUE, "actor_name": EVENT_ACTOR}
    # started, at least one progress report, succeeded: each a message the worker processed
    assert events_after.moved(events, "dramatiq_messages_total", **reports) >= 3
    assert events_after.moved(events, "dramatiq_message_errors_total", **reports) == 0

    # The runner: one still render, each stage timed once, the message counted on the interactive lane.
    renders = runner_after.moved(runner, "video_runner_renders_total", renderer="still", outcome="succeeded")
    assert renders == 1
    # The job's timings hold each stage, and each composed format's share of "compose" under a dotted name.
    stages = {name for name in job.timings if "." not in name}
    assert {"tts", "render", "encode", "upload"} <= stages
    for stage in stages:
        assert runner_after.moved(runner, "video_runner_stage_seconds_count", stage=stage) == 1, stage
    render = {"queue_name": LANE, "actor_name": RENDER_ACTOR}
    assert runner_after.moved(runner, "dramatiq_messages_total", **render) == 1
    assert runner_after.value("video_runner_jobs_in_flight") == 0

    for scraped in (site_after, events_after, runner_after):
        for secret in (TOKEN, job.job_id, "Quillon", "Marveldine", "zephyr", world.orgs["acme"].name):
            assert secret not in scraped.text, secret
