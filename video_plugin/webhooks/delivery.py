"""Recording webhook deliveries when a job ends, and making them, one attempt per message, with backoff.

Deliveries are rows first (in the same transaction as the job's final state) and messages second (after that
commits), so a rolled-back job notifies no one. The events worker's ``deliver_webhook`` actor makes each
attempt; a failed attempt schedules the next one as a delayed message, doubling the wait each time, until
``WEBHOOK_MAX_ATTEMPTS``. The delivery row is the log the admin shows.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gpu_runner.protocol import EVENTS_QUEUE, Envelope
from video_plugin.api.serializers import job_representation
from video_plugin.conf import video_settings
from video_plugin.jobs.messaging import send
from video_plugin.metrics_worker import webhook_attempted
from video_plugin.models import VideoJob, WebhookDelivery, WebhookEndpoint, WebhookEvent
from video_plugin.webhooks.destinations import webhook_opener
from video_plugin.webhooks.legacy_signing import legacy_headers
from video_plugin.webhooks.redaction import has_credentials, redacted_url
from video_plugin.webhooks.signing import secret_key, signed_headers

logger = logging.getLogger(__name__)

WEBHOOK_ACTOR = "deliver_webhook"
MAX_BACKOFF_S = 3600
# Enough of a receiver's answer to say why it refused, without storing whole error pages.
RESPONSE_EXCERPT_CHARS = 500
CREDENTIALS_REFUSED = (
    "the endpoint's URL contains a user name or password, which webhooks never send; nothing sent. Edit the "
    "endpoint to remove them and have the receiver check the signature made with its signing secret instead"
)

EVENT_FOR_STATUS = {
    VideoJob.Status.SUCCEEDED: WebhookEvent.VIDEO_SUCCEEDED,
    VideoJob.Status.FAILED: WebhookEvent.VIDEO_FAILED,
}


def queue_deliveries(job: VideoJob) -> list[WebhookDelivery]:
    """Record a delivery to every active endpoint of the job's organization that wants its final state.

    Call inside the transaction that ends the job; the messages leave when it commits. A job reported twice
    (at-least-once events) gets one delivery per endpoint, kept unique by the database.
    """
    event = EVENT_FOR_STATUS.get(job.status)
    if event is None:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organization_id=job.organization_id, is_active=True)
        if event in endpoint.events
    ]
    if not endpoints:
        return []
    payload = {
        "type": str(event),
        "created_at": timezone.now().isoformat(),
        "organization_id": job.organization_id,
        "data": {"job": job_representation(job)},
    }
    deliveries = []
    for endpoint in endpoints:
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            job=job,
            event=event,
            defaults={"organization_id": job.organization_id, "payload": payload},
        )
        if created:
            deliveries.append(delivery)
    for delivery in deliveries:
        transaction.on_commit(lambda delivery_id=delivery.delivery_id: send_attempt(delivery_id))
    return deliveries


def send_attempt(delivery_id: str, delay_s: float = 0) -> None:
    """Put one ``deliver_webhook`` message on the events queue, by name, after ``delay_s`` seconds."""
    send(Envelope(EVENTS_QUEUE, WEBHOOK_ACTOR, {"delivery_id": delivery_id}), delay_s)


def backoff_s(attempts_made: int) -> float:
    """The wait before the next attempt: ``WEBHOOK_BACKOFF_S`` doubled per earlier failure, at most 1 h."""
    return min(float(video_settings.WEBHOOK_BACKOFF_S) * 2 ** (attempts_made - 1), MAX_BACKOFF_S)


@dataclass(frozen=True)
class AttemptOutcome:
    ok: bool
    status_code: int | None
    error: str


def attempt_headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    """The headers of one attempt, signed now: the Standard Webhooks ones with every secret that signs (two
    during a rotation), and the old ones too while an endpoint created before the standard still uses its key.

    The ``webhook-id`` is the delivery's id, the same on every retry; the timestamp is this attempt's.
    """
    endpoint = delivery.endpoint
    now = timezone.now()
    timestamp = int(now.timestamp())
    headers = signed_headers(endpoint.signing_secrets(now), delivery.delivery_id, body, now=timestamp)
    if legacy_secret := endpoint.legacy_signing_secret(now):
        headers |= legacy_headers(legacy_secret, delivery.delivery_id, delivery.event, timestamp, body)
    return headers


def unusable_secret(endpoint: WebhookEndpoint) -> str:
    """Why the endpoint's secrets cannot sign a delivery (the reason names no secret), or ``""``."""
    for secret in endpoint.signing_secrets():
        try:
            secret_key(secret)
        except ValueError as exc:
            return f"{exc}; nothing sent"
    return ""


def post(url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome:
    """POST once; any 2xx is success, anything else (3xx and private addresses included) a failure with its
    reason."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with webhook_opener().open(request, timeout=float(video_settings.WEBHOOK_TIMEOUT_S)) as response:
            return AttemptOutcome(ok=200 <= response.status < 300, status_code=response.status, error="")
    except urllib.error.HTTPError as exc:
        excerpt = exc.read(RESPONSE_EXCERPT_CHARS).decode("utf-8", "replace")
        return AttemptOutcome(ok=False, status_code=exc.code, error=f"HTTP {exc.code}: {excerpt}".strip())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return AttemptOutcome(
            ok=False, status_code=None, error=f"could not reach {redacted_url(url)}: {reason}"
        )


def deliver(delivery_id: str) -> WebhookDelivery | None:
    """Make one attempt of a pending delivery and record it; schedule the next attempt if it failed."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(delivery_id=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return delivery  # already done: a redelivered message must not notify twice
    endpoint = delivery.endpoint
    attempts = delivery.attempts + 1
    if not endpoint.is_active:
        outcome = AttemptOutcome(ok=False, status_code=None, error="the endpoint was disabled; nothing sent")
        attempts = int(video_settings.WEBHOOK_MAX_ATTEMPTS)
    elif has_credentials(endpoint.url):
        # Saved before such URLs were refused: sending would hand the password to every hop, and no retry
        # can succeed until someone edits the endpoint.
        outcome = AttemptOutcome(ok=False, status_code=None, error=CREDENTIALS_REFUSED)
        attempts = int(video_settings.WEBHOOK_MAX_ATTEMPTS)
    elif refusal := unusable_secret(endpoint):
        # A secret written outside the admin, not "whsec_" + base64: no retry can sign with it.
        outcome = AttemptOutcome(ok=False, status_code=None, error=refusal)
        attempts = int(video_settings.WEBHOOK_MAX_ATTEMPTS)
    else:
        body = json.dumps({"id": delivery.delivery_id, **delivery.payload}, separators=(",", ":")).encode()
        outcome = post(endpoint.url, body, attempt_headers(delivery, body))
    now = timezone.now()
    delivery.attempts = attempts
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.next_attempt_at = None
    if outcome.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
    elif attempts >= int(video_settings.WEBHOOK_MAX_ATTEMPTS):
        delivery.status = WebhookDelivery.Status.FAILED
        logger.warning(
            "webhook %s to %s failed for good: %s", delivery_id, redacted_url(endpoint.url), outcome.error
        )
    else:
        wait = backoff_s(attempts)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        logger.info(
            "webhook %s attempt %d failed (%s); next in %.0f s", delivery_id, attempts, outcome.error, wait
        )
    delivery.save()
    webhook_attempted(
        "delivered" if outcome.ok else "retrying" if delivery.next_attempt_at is not None else "failed"
    )
    if delivery.next_attempt_at is not None:
        send_attempt(delivery_id, delay_s=backoff_s(attempts))
    return delivery
