"""Webhooks: Standard Webhooks signatures a receiver verifies with the published ``standardwebhooks`` library,
secret rotation, endpoints created before the standard (their old headers and key), deliveries recorded when a
job ends, and delivery by the events worker's actor to a loopback HTTP server, retried with backoff until it
answers or the attempts run out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from django.apps import apps
from django.utils import timezone
from dramatiq.brokers.stub import StubBroker
from standardwebhooks import Webhook, WebhookVerificationError

from gpu_runner.protocol import EVENTS_QUEUE, JobError, VideoEvent
from tests.factories import still_render_result
from video_plugin.actors import deliver_webhook
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob, WebhookDelivery, WebhookEndpoint
from video_plugin.webhooks import legacy_signing, signing
from video_plugin.webhooks.delivery import WEBHOOK_ACTOR, backoff_s, deliver

# The migration that gave endpoints created before Standard Webhooks their whsec_ secret.
standard_secrets_migration = importlib.import_module(
    "video_plugin.migrations.0007_webhook_standard_signing_secrets"
)


class Receiver:
    """A webhook receiver on loopback that records every request and fails on demand."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_with: list[int] = []  # statuses to answer before answering 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                # Names lowercased: HTTP's are case-insensitive, and urllib sends "Webhook-id".
                receiver.requests.append(
                    ({name.lower(): value for name, value in self.headers.items()}, body)
                )
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


def verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """What a receiver's ``standardwebhooks`` check says: authentic and at most five minutes old, or not. A
    secret the library cannot read (no base64 after ``whsec_``) verifies nothing."""
    try:
        webhook = Webhook(secret)
    except ValueError:  # binascii.Error: the library decodes the secret when it is made
        return False
    try:
        webhook.verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def test_new_secrets_are_whsec_and_the_base64_of_32_random_bytes():
    made = [signing.new_secret() for _ in range(3)]
    assert len(set(made)) == 3
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
        assert signing.secret_key(secret) == base64.b64decode(secret.removeprefix("whsec_"))


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", "c2VjcmV0", "whsec_c2VjcmV0!"])
def test_a_secret_that_is_not_whsec_and_base64_is_refused_naming_the_fix_not_the_secret(secret):
    with pytest.raises(ValueError, match="tick 'Rotate signing secret'") as refused:
        signing.secret_key(secret)
    assert "c2VjcmV0" not in str(refused.value) and "base64!" not in str(refused.value)


def test_signed_headers_verify_with_the_standardwebhooks_library_only_for_the_same_secret_and_body():
    secret, other = signing.new_secret(), signing.new_secret()
    body = b'{"type":"video.succeeded","data":{}}'
    headers = signing.signed_headers([secret], "d1", body)
    assert headers["webhook-id"] == "d1" and abs(int(headers["webhook-timestamp"]) - time.time()) <= 2
    assert headers["webhook-signature"].startswith("v1,") and " " not in headers["webhook-signature"]
    assert Webhook(secret).verify(body, headers) == {"type": "video.succeeded", "data": {}}
    assert not verifies(other, body, headers)
    assert not verifies(secret, body.replace(b"succeeded", b"failed"), headers)
    assert not verifies(secret, body, {**headers, "webhook-id": "d2"}), "the id is signed"
    stamp = int(headers["webhook-timestamp"])
    assert not verifies(secret, body, {**headers, "webhook-timestamp": str(stamp - 1)}), "so is the time"


def test_with_two_secrets_every_signature_is_sent_and_either_secret_verifies():
    new, old = signing.new_secret(), signing.new_secret()
    body = b'{"type":"video.failed"}'
    headers = signing.signed_headers([new, old], "d1", body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verifies(new, body, headers) and verifies(old, body, headers)
    assert not verifies(signing.new_secret(), body, headers)


def test_an_attempt_signed_more_than_five_minutes_ago_is_refused_by_the_library():
    secret, body = signing.new_secret(), b"{}"
    assert verifies(secret, body, signing.signed_headers([secret], "d1", body, now=time.time() - 200))
    assert not verifies(secret, body, signing.signed_headers([secret], "d1", body, now=time.time() - 400))


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
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert ids == {delivery.delivery_id}, "every retry carries the same webhook-id"
    for headers, body in receiver.requests:
        assert Webhook(endpoint.secret).verify(body, headers)["type"] == "video.failed"
        assert legacy_signing.SIGNATURE_HEADER.lower() not in headers, (
            "a new endpoint gets the standard headers only"
        )
    headers, body = receiver.requests[-1]
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


def failed_job_delivery(world, **endpoint_fields) -> WebhookDelivery:
    """A pending delivery of a failed acme job to an endpoint made with ``endpoint_fields``."""
    WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, events=["video.failed"], **endpoint_fields
    )
    finish(request_video(world.product["acme"], None, VideoJob.Trigger.API), "failed")
    return WebhookDelivery.objects.get()


@pytest.mark.django_db
def test_a_retry_keeps_the_webhook_id_and_is_signed_at_its_own_time(
    world, receiver, stub_broker, monkeypatch
):
    delivery = failed_job_delivery(world, url=receiver.url)
    receiver.fail_with = [503]
    assert deliver(delivery.delivery_id).status == "pending"
    later = timezone.now() + timedelta(seconds=90)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert deliver(delivery.delivery_id).status == "succeeded"
    (first, first_body), (retry, retry_body) = receiver.requests
    assert first["webhook-id"] == retry["webhook-id"] == delivery.delivery_id
    assert int(retry["webhook-timestamp"]) == int(later.timestamp())
    assert int(retry["webhook-timestamp"]) - int(first["webhook-timestamp"]) >= 89
    assert first["webhook-signature"] != retry["webhook-signature"]
    assert first_body == retry_body
    for headers, body in receiver.requests:
        assert verifies(delivery.endpoint.secret, body, headers)


@pytest.mark.django_db
def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(world, receiver, stub_broker):
    delivery = failed_job_delivery(world, url=receiver.url)
    endpoint = delivery.endpoint
    old = endpoint.secret
    endpoint.rotate_secret()
    endpoint.save()
    new = endpoint.secret
    assert new != old and new.startswith("whsec_") and endpoint.previous_secret == old
    overlap = endpoint.previous_secret_expires_at - timezone.now()
    assert timedelta(hours=23, minutes=59) < overlap <= timedelta(hours=24)
    receiver.fail_with = [500]
    assert deliver(delivery.delivery_id).status == "pending"
    [(headers, body)] = receiver.requests
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verifies(new, body, headers) and verifies(old, body, headers)

    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)  # the overlap is over
    endpoint.save()
    assert deliver(delivery.delivery_id).status == "succeeded"
    headers, body = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert verifies(new, body, headers) and not verifies(old, body, headers)


def old_scheme_verifies(old_secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver check the README documented before Standard Webhooks, from its words alone."""
    timestamp = headers["x-video-webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    digest = hmac.new(old_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v1={digest}", headers["x-video-webhook-signature"])


@pytest.mark.django_db
def test_an_endpoint_created_before_the_standard_keeps_working_for_old_and_new_receivers(
    world, receiver, stub_broker
):
    """The migration keeps the key: old receivers check the old headers with the secret they have; a receiver
    switching to standardwebhooks uses the whsec_ secret from the admin, or computes it from the old one."""
    old_secret = "whsec_" + secrets.token_urlsafe(32)  # how secrets were made before the standard
    delivery = failed_job_delivery(world, url=receiver.url, secret=old_secret)
    standard_secrets_migration.to_standard_secrets(apps, None)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.legacy_secret == old_secret
    computed = "whsec_" + base64.b64encode(old_secret.encode()).decode()  # the README's recipe
    assert endpoint.secret == computed

    receiver.fail_with = [500, 500]  # three attempts: before, during and after the rotation's overlap
    deliver(delivery.delivery_id)
    [(headers, body)] = receiver.requests
    assert old_scheme_verifies(old_secret, headers, body)
    assert headers["x-video-webhook-id"] == headers["webhook-id"] == delivery.delivery_id
    assert headers["x-video-webhook-event"] == "video.failed"
    assert headers["x-video-webhook-timestamp"] == headers["webhook-timestamp"]
    assert verifies(endpoint.secret, body, headers)
    assert not verifies(signing.new_secret(), body, headers)
    # The old string itself is no standard secret: the library refuses it, or reads it as another key.
    assert not verifies(old_secret, body, headers)

    # The owner rotates: the old key still signs, both ways, through the overlap.
    endpoint.rotate_secret()
    endpoint.save()
    assert endpoint.legacy_secret == old_secret
    deliver(delivery.delivery_id)
    headers, body = receiver.requests[-1]
    assert old_scheme_verifies(old_secret, headers, body)
    assert verifies(computed, body, headers) and verifies(endpoint.secret, body, headers)

    # The overlap ends: only the new secret signs, and the old headers stop.
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    deliver(delivery.delivery_id)
    headers, body = receiver.requests[-1]
    assert "x-video-webhook-signature" not in headers and "x-video-webhook-id" not in headers
    assert verifies(endpoint.secret, body, headers) and not verifies(computed, body, headers)
    assert len(receiver.requests) == 3


@pytest.mark.django_db
def test_a_second_rotation_forgets_the_old_secret(world):
    old_secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk,
        url="https://hooks.example/",
        events=["video.failed"],
        secret=old_secret,
    )
    standard_secrets_migration.to_standard_secrets(apps, None)
    endpoint.refresh_from_db()
    endpoint.rotate_secret()
    assert endpoint.legacy_signing_secret() == old_secret
    endpoint.rotate_secret()
    assert endpoint.legacy_secret == "" and endpoint.legacy_signing_secret() == ""
    assert old_secret not in endpoint.signing_secrets()


@pytest.mark.django_db
def test_the_migration_reversed_gives_old_endpoints_their_old_secret_back(world):
    old_secret = "whsec_" + secrets.token_urlsafe(32)
    acme = world.orgs["acme"].pk
    WebhookEndpoint.objects.create(
        organization_id=acme, url="https://a.example/", events=[], secret=old_secret
    )
    standard_secrets_migration.to_standard_secrets(apps, None)
    newer = WebhookEndpoint.objects.create(organization_id=acme, url="https://b.example/", events=[])
    standard_secrets_migration.to_legacy_secrets(apps, None)
    assert WebhookEndpoint.objects.get(url="https://a.example/").secret == old_secret
    assert WebhookEndpoint.objects.get(pk=newer.pk).secret == newer.secret


@pytest.mark.django_db
def test_a_secret_written_outside_the_admin_fails_the_delivery_with_the_fix(world, receiver, stub_broker):
    delivery = deliver(failed_job_delivery(world, url=receiver.url, secret="not-a-whsec-secret").delivery_id)
    assert receiver.requests == []
    assert delivery.status == "failed"
    assert "tick 'Rotate signing secret'" in delivery.last_error and "not-a-whsec" not in delivery.last_error
