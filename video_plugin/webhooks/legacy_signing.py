"""The signature scheme before Standard Webhooks, kept for endpoints created before the change.

Old receivers check ``X-Video-Webhook-Signature: v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`` keyed with the
secret string they were shown. So that they keep working, the secrets of those endpoints were turned into
the standard form without changing the key: the standard secret is ``whsec_`` + base64 of the old secret's
UTF-8 bytes (:func:`standard_secret`), and the old string is kept as ``WebhookEndpoint.legacy_secret``. While
that key still signs (until the owner rotates the secret and the rotation's overlap ends), every delivery
carries the old headers beside the standard ones. A receiver can switch to the ``standardwebhooks`` library at
any time, with the ``whsec_`` secret shown on the endpoint's page, or computed from the old one.
"""

from __future__ import annotations

import hashlib
import hmac

from video_plugin.webhooks.signing import encode_secret

ID_HEADER = "X-Video-Webhook-Id"
EVENT_HEADER = "X-Video-Webhook-Event"
TIMESTAMP_HEADER = "X-Video-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Video-Webhook-Signature"


def standard_secret(legacy_secret: str) -> str:
    """The Standard Webhooks form of an old secret: the same key, its UTF-8 bytes, as ``whsec_`` + base64."""
    return encode_secret(legacy_secret.encode())


def legacy_signature(legacy_secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: the old signature header's value."""
    digest = hmac.new(legacy_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def legacy_headers(
    legacy_secret: str, message_id: str, event: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The old headers of one attempt, signed at the same ``timestamp`` as its standard ones."""
    return {
        ID_HEADER: message_id,
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: legacy_signature(legacy_secret, timestamp, body),
    }
