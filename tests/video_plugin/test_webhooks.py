"""Webhooks: signing and verifying, deliveries recorded when a job ends, and delivery by the events worker's
actor to a loopback HTTP server, retried with backoff until it answers or the attempts run out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from gpu_runner.protocol import EVENTS_QUEUE, JobError, VideoEvent
from tests.factories import still_render_result
from video_plugin.actors import deliver_webhook
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob, WebhookDelivery, WebhookEndpoint
from video_plugin.webhooks import signing
from video_plugin.webhooks.delivery import WEBHOOK_ACTOR, backoff_s


class Receiver:
    """A webhook receiver on loopback that records every request and fails on demand."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_with: list[int] = []  # statuses to answer before answering 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.fail_with.pop(0) if receiver.fail_with else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"refused" if status >= 300 else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/video"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(settings):
    """The receivers here listen on 127.0.0.1, which deliveries refuse by default (see tests/security)."""
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True}


@pytest.fixture
def fast_retries(settings):
    settings.WAGTAIL_VIDEO = {
        **settings.WAGTAIL_VIDEO,
        "WEBHOOK_BACKOFF_S": 0.05,
        "WEBHOOK_MAX_ATTEMPTS": 3,
        "WEBHOOK_TIMEOUT_S": 2,
    }


@pytest.fixture
def worker(stub_broker: StubBroker) -> Iterator[dramatiq.Worker]:
    """The events worker: the real ``deliver_webhook`` function, declared on the test's stub broker."""
    dramatiq.actor(deliver_webhook.fn, broker=stub_broker, actor_name=WEBHOOK_ACTOR, queue_name=EVENTS_QUEUE)
    worker = dramatiq.Worker(stub_broker, worker_threads=1, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop()


def finish(job: VideoJob, outcome: str) -> bool:
    """Apply the runner's final report for ``job``, as the events worker would."""
    if outcome == "succeeded":
        result = still_render_result(job.output_key, duration_s=3.0, width=512, height=512, bytes=10)
        event = VideoEvent(job_id=job.job_id, attempt=1, type="succeeded", result=result)
    else:
        event = VideoEvent(job_id=job.job_id, attempt=1, type="failed", error=JobError("no_face", "no face"))
    return apply_event(event)


def test_a_signature_verifies_only_for_the_same_secret_body_and_a_fresh_timestamp():
    body = b'{"type":"video.succeeded"}'
    headers = signing.signed_headers("whsec_a", "d1", "video.succeeded", body, now=1_000_000)
    stamp, sent = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    assert sent.startswith("v1=") and stamp == "1000000"
    assert signing.verify("whsec_a", stamp, body, sent, now=1_000_100)
    assert not signing.verify("whsec_b", stamp, body, sent, now=1_000_100)
    assert not signing.verify("whsec_a", stamp, body + b" ", sent, now=1_000_100)
    assert not signing.verify("whsec_a", "999999", body, sent, now=1_000_100), "timestamp is signed too"
    assert not signing.verify("whsec_a", stamp, body, sent, now=1_000_000 + signing.REPLAY_WINDOW_S + 1)
    assert not signing.verify("whsec_a", "soon", body, sent)


def test_backoff_doubles_up_to_an_hour(settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "WEBHOOK_BACKOFF_S": 10}
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff_s(20) == 3600


@pytest.mark.django_db
def test_a_finished_job_records_one_delivery_per_subscribed_endpoint(world, stub_broker):
    acme = world.orgs["acme"]
    both = WebhookEndpoint.objects.create(
        organization_id=acme.pk, url="http://127.0.0.1:9/a", events=["video.succeeded", "video.failed"]
    )
    WebhookEndpoint.objects.create(
        organization_id=acme.pk, url="http://127.0.0.1:9/b", events=["video.failed"]
    )
    WebhookEndpoint.objects.create(
        organization_id=acme.pk, url="http://127.0.0.1:9/c", events=["video.succeeded"], is_active=False
    )
    WebhookEndpoint.objects.create(
        organization_id=world.orgs["bluebird"].pk, url="http://127.0.0.1:9/d", events=["video.succeeded"]
    )
    job = request_video(world.product["acme"], None, VideoJob.Trigger.API)
    assert finish(job, "succeeded")
    assert not finish(job, "succeeded")  # a redelivered report: no second delivery
    deliveries = list(WebhookDelivery.objects.all())
    assert [(d.endpoint_id, d.event, d.status) for d in deliveries] == [
        (both.pk, "video.succeeded", "pending")
    ]
    payload = deliveries[0].payload
    assert payload["type"] == "video.succeeded"
    assert payload["data"]["job"]["id"] == job.job_id
    assert payload["data"]["job"]["video"]["url"].startswith("http")
    assert stub_broker.queues[EVENTS_QUEUE].qsize() == 0, "nothing is sent before the transaction commits"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_delivers_a_signed_request_and_retries_failures_with_backoff(
    world, receiver, fast_retries, worker, stub_broker
):
    endpoint = WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url=receiver.url, events=["video.failed"]
    )
    receiver.fail_with = [500, 503]
    job = request_video(world.product["acme"], None, VideoJob.Trigger.API)
    finish(job, "failed")
    receiver.wait_for(3)
    stub_broker.join(EVENTS_QUEUE)
    worker.join()

    assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    ids = {headers[signing.ID_HEADER] for headers, _ in receiver.requests}
    assert ids == {delivery.delivery_id}, "every retry carries the same delivery id"
    headers, body = receiver.requests[-1]
    assert headers[signing.EVENT_HEADER] == "video.failed"
    assert signing.verify(
        endpoint.secret, headers[signing.TIMESTAMP_HEADER], body, headers[signing.SIGNATURE_HEADER]
    )
    payload = json.loads(body)
    assert payload["id"] == delivery.delivery_id
    assert payload["data"]["job"]["error"] == {"code": "no_face", "message": "no face"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delivery_that_keeps_failing_is_marked_failed_after_the_last_attempt(
    world, receiver, fast_retries, worker, stub_broker
):
    WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url=receiver.url, events=["video.failed"]
    )
    receiver.fail_with = [500] * 10
    job = request_video(world.product["acme"], None, VideoJob.Trigger.API)
    finish(job, "failed")
    receiver.wait_for(3)
    stub_broker.join(EVENTS_QUEUE)
    worker.join()
    time.sleep(0.2)  # a wrongly scheduled fourth attempt would arrive within this
    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 3
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
    assert "HTTP 500" in delivery.last_error


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unreachable_endpoint_is_logged_with_the_reason(world, fast_retries, worker, stub_broker):
    WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url="http://127.0.0.1:9/closed", events=["video.failed"]
    )
    job = request_video(world.product["acme"], None, VideoJob.Trigger.API)
    finish(job, "failed")
    deadline = time.monotonic() + 10
    while WebhookDelivery.objects.get().status == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.last_status_code is None
    assert "could not reach http://127.0.0.1:9/closed" in delivery.last_error
