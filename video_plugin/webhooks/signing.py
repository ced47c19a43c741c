"""The webhook signature: HMAC-SHA256 over ``"{timestamp}.{body}"`` with the endpoint's secret.

Headers on every delivery attempt::

    X-Video-Webhook-Id         the delivery id; the same on every retry, so receivers can drop duplicates
    X-Video-Webhook-Event      video.succeeded | video.failed
    X-Video-Webhook-Timestamp  unix seconds when this attempt was signed
    X-Video-Webhook-Signature  v1=<hex digest>

A receiver recomputes the digest over the raw body it received, compares in constant time, and refuses
timestamps more than :data:`REPLAY_WINDOW_S` from its clock, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

ID_HEADER = "X-Video-Webhook-Id"
EVENT_HEADER = "X-Video-Webhook-Event"
TIMESTAMP_HEADER = "X-Video-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Video-Webhook-Signature"
SIGNATURE_VERSION = "v1"
REPLAY_WINDOW_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: the signature header's value for ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signed_headers(
    secret: str, delivery_id: str, event: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """Every header of one delivery attempt, signed now."""
    timestamp = int(now if now is not None else time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "wagtail-ai-video-webhooks/1",
        ID_HEADER: delivery_id,
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    received_signature: str,
    now: float | None = None,
    window_s: int = REPLAY_WINDOW_S,
) -> bool:
    """Whether a received request is authentic and fresh: what a receiver runs (see docs/api.md)."""
    try:
        signed_at = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - signed_at) > window_s:
        return False
    return hmac.compare_digest(signature(secret, signed_at, body), received_signature)
