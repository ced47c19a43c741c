"""Webhook signatures as the Standard Webhooks specification defines them (https://www.standardwebhooks.com/).

Headers on every delivery attempt::

    webhook-id         the delivery id; the same on every retry, so receivers can drop duplicates
    webhook-timestamp  unix seconds when this attempt was signed
    webhook-signature  v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">, one per signing secret,
                       separated by spaces (two while a rotated-out secret still signs)

A secret is ``whsec_`` followed by the base64 of its key: :data:`SECRET_BYTES` random bytes, the HMAC key.
Receivers verify with the published ``standardwebhooks`` library of their language
(``Webhook(secret).verify(body, headers)``), which also refuses timestamps more than five minutes from their
clock. Endpoints created before this scheme also get the old headers (:mod:`.legacy_signing`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"
# The specification asks for 24 to 64 bytes of key.
SECRET_BYTES = 32
USER_AGENT = "wagtail-ai-video-webhooks/2"


def encode_secret(key: bytes) -> str:
    """A key in the specification's text form: ``whsec_`` + base64."""
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def new_secret() -> str:
    """A new endpoint's signing secret: ``whsec_`` + base64 of :data:`SECRET_BYTES` random bytes."""
    return encode_secret(secrets.token_bytes(SECRET_BYTES))


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_…`` secret stands for: the base64-decoded part after the prefix."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not key:
        raise ValueError(
            "the endpoint's signing secret is not 'whsec_' followed by base64; tick 'Rotate signing secret' "
            "on its page in Settings → Video API → Webhooks and save"
        )
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64>``: the signature of ``body`` sent as ``message_id`` at ``timestamp``, with ``secret``."""
    signed_content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed_content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signed_headers(
    signing_secrets: Sequence[str], message_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """Every header of one delivery attempt, signed now with each secret in ``signing_secrets``."""
    if not signing_secrets:
        raise ValueError("a webhook delivery needs at least one signing secret")
    timestamp = int(now if now is not None else time.time())
    signatures = [signature(secret, message_id, timestamp, body) for secret in signing_secrets]
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(signatures),
    }
