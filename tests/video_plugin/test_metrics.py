"""``/video/metrics``: jobs by state and lane, queue depth per lane and webhook deliveries, read at each
scrape from the database and a real Redis broker, behind a bearer token; and the events worker's counters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker
from prometheus_client import generate_latest

from gpu_runner.protocol import BATCH_LANE, INTERACTIVE_LANE, PUBLISH_LANE, JobError, VideoEvent
from tests.scrape import Scrape
from tests.video_plugin.test_webhooks import Receiver
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.jobs.requests import request_video
from video_plugin.jobs.watchdog import fail_stuck_jobs
from video_plugin.metrics_worker import counters
from video_plugin.models import VideoJob, WebhookDelivery, WebhookEndpoint
from video_plugin.webhooks.delivery import deliver

TOKEN = "metrics-" + "k7Qx" * 8
# Distinctive enough that finding any of them in a scrape means something leaked into a label.
SCRIPT = "Quillon Marveldine presents the zephyr-grey teapot."

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_on(settings: Any) -> None:
    settings.WAGTAIL_VIDEO = {
        **settings.WAGTAIL_VIDEO,
        "METRICS_TOKEN": TOKEN,
        # The receiver listens on 127.0.0.1, which deliveries refuse by default (see tests/security).
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True,
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def scrape(client: Any) -> Scrape:
    response = client.get("/video/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"].startswith("max-age=0")
    return Scrape(response.content.decode())


def worker_counters() -> Scrape:
    """The events worker's counters as this process holds them (in memory here; in files in a worker)."""
    return Scrape(generate_latest(counters().registry).decode())


def test_metrics_are_off_until_a_token_is_set(client: Any) -> None:
    assert client.get("/video/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token-of-enough-length-000", TOKEN, f"Basic {TOKEN}"]
)
def test_a_scrape_without_the_bearer_token_is_refused(
    client: Any, metrics_on: None, authorization: str
) -> None:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/video/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert TOKEN not in response.content.decode()
    assert "video_jobs" not in response.content.decode()


def test_an_admin_session_is_no_metrics_credential(admin_client: Any, metrics_on: None) -> None:
    # Figures of every organization: only the operator's token opens them, never a login, even a superuser's.
    response = admin_client.get("/video/metrics")
    assert response.status_code == 401
    assert "video_jobs" not in response.content.decode()


def test_only_get_is_answered(client: Any, metrics_on: None) -> None:
    assert client.post("/video/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.parametrize("token", ["short", 12345])
def test_a_guessable_metrics_token_fails_the_checks_naming_the_setting(settings: Any, token: Any) -> None:
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "METRICS_TOKEN": token}
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    message = str(raised.value)
    assert 'WAGTAIL_VIDEO["METRICS_TOKEN"]' in message and "at least 24 characters" in message
    if isinstance(token, str):
        assert token not in message.replace("METRICS_TOKEN", "")


def test_a_job_moves_states_lanes_queue_depth_and_deliveries(
    world: Any,
    client: Any,
    metrics_on: None,
    redis_broker: RedisBroker,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url=receiver.url, events=["video.failed"]
    )
    before, worker_before = scrape(client), worker_counters()
    lane = INTERACTIVE_LANE.queue
    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(world.product["acme"], None, VideoJob.Trigger.API, script=SCRIPT)
    queued = scrape(client)
    assert queued.moved(before, "video_jobs", state="queued", lane=lane) == 1
    assert queued.moved(before, "video_queue_depth", lane=lane) == 1
    assert queued.moved(before, "video_queue_depth", lane=PUBLISH_LANE.queue) == 0
    assert queued.moved(before, "video_jobs", state="queued", lane=PUBLISH_LANE.queue) == 0

    with django_capture_on_commit_callbacks(execute=True):
        apply_event(VideoEvent(job_id=job.job_id, attempt=1, type="started", sent_at=1.0))
        apply_event(VideoEvent(job_id=job.job_id, attempt=1, type="progress", sent_at=2.0, stage="tts"))
        apply_event(
            VideoEvent(
                job_id=job.job_id, attempt=1, type="failed", sent_at=3.0, error=JobError("no_face", "no face")
            )
        )
    deliver(WebhookDelivery.objects.get(job=job).delivery_id)
    receiver.wait_for(1)
    assert len(receiver.requests) == 1

    after, worker_after = scrape(client), worker_counters()
    assert after.moved(before, "video_jobs", state="failed", lane=lane) == 1
    assert after.moved(before, "video_jobs", state="queued", lane=lane) == 0
    assert after.moved(before, "video_webhook_deliveries", outcome="delivered") == 1
    assert after.moved(before, "video_webhook_deliveries", outcome="pending") == 0
    # The events worker's counters: one move into each state (progress is no new state), one delivery.
    for state, moves in (("running", 1), ("failed", 1), ("succeeded", 0), ("queued", 0)):
        assert worker_after.moved(worker_before, "video_job_states_total", state=state, lane=lane) == moves
    assert worker_after.moved(worker_before, "video_webhook_attempts_total", outcome="delivered") == 1
    assert worker_after.moved(worker_before, "video_webhook_attempts_total", outcome="retrying") == 0


def test_a_scrape_names_no_job_page_person_script_or_token(
    world: Any,
    client: Any,
    metrics_on: None,
    redis_broker: RedisBroker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    editor = world.users[("editor", "acme")]
    editor.first_name, editor.last_name = "Quillon", "Marveldine"
    editor.save()
    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(world.product["acme"], editor, VideoJob.Trigger.EDITOR, script=SCRIPT)
    text = scrape(client).text
    assert 'video_jobs{lane="video-render",state="queued"}' in text
    for secret in (
        TOKEN,
        job.job_id,
        "Quillon",
        "Marveldine",
        "zephyr",
        editor.username,
        world.product["acme"].title,
        world.orgs["acme"].name,
        "espeak",
    ):
        assert secret not in text, secret


def test_the_watchdog_counts_the_jobs_it_fails_on_their_lane(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = VideoJob.objects.create(
        organization_id=world.orgs["acme"].pk,
        page=world.product["acme"],
        trigger=VideoJob.Trigger.BATCH,
        voice="espeak:en-us",
        renderer="still",
    )
    VideoJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=2))
    before = worker_counters()
    with django_capture_on_commit_callbacks(execute=True):
        assert [failed.pk for failed in fail_stuck_jobs(timezone.now())] == [job.pk]
    after = worker_counters()
    assert after.moved(before, "video_job_states_total", state="failed", lane=BATCH_LANE.queue) == 1
    assert after.moved(before, "video_job_states_total", state="failed", lane=INTERACTIVE_LANE.queue) == 0


def test_queue_depth_counts_messages_waiting_on_rabbitmq(rabbitmq):
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    from gpu_runner.messaging import send
    from gpu_runner.protocol import BATCH_LANE, Envelope
    from video_plugin.jobs.brokers import queue_depth

    rabbitmq.delete_queues([BATCH_LANE.queue])
    broker = RabbitmqBroker(url=rabbitmq.url, confirm_delivery=True)
    try:
        assert queue_depth(broker, BATCH_LANE.queue) == 0
        for number in range(2):
            send(broker, Envelope(BATCH_LANE.queue, BATCH_LANE.actor, {"request": {"job_id": f"j{number}"}}))
        assert queue_depth(broker, BATCH_LANE.queue) == 2
    finally:
        broker.close()
        rabbitmq.delete_queues([BATCH_LANE.queue])
