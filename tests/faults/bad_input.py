"""Bad input for the fault tests: hostile image bytes, presenter images holding them, raw queue messages.

The Wagtail upload form would refuse most of these images, so the tests put the bytes straight into the
bucket under an image's key: the runner must defend itself whatever reaches storage. Raw messages go onto the
render queue without the plugin, as a foreign or broken producer would send them.
"""

from __future__ import annotations

import io
import json
import struct
import time
import uuid
import zlib
from decimal import Decimal
from typing import Any

import dramatiq
from django.urls import reverse
from PIL import Image
from wagtail.images import get_image_model

from gpu_runner.protocol import PROTOCOL_VERSION, RENDER_ACTOR, RENDER_QUEUE
from shop.models import ProductPage
from tests.stack import Stack
from video_plugin.models import VideoJob

# Dramatiq's RedisBroker keeps a queue as a list of message ids plus a hash of id → encoded message.
DRAMATIQ_NAMESPACE = "dramatiq"


def jpeg_photo(size: tuple[int, int] = (320, 240)) -> bytes:
    """A valid JPEG with some detail in it, so that cutting it short really loses image data."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header declares ``width``×``height`` grey pixels: a decompression
    bomb's shape, since decoding it would allocate width × height bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"".join(b"\x00" + bytes(width) for _ in range(4)), 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def stored_image(stack: Stack, collection: Any, filename: str, data: bytes) -> Any:
    """A Wagtail image record whose file in the bucket holds exactly ``data`` (nothing decodes it here).

    Width and height are given, so Django never opens the file to measure it.
    """
    key = f"original_images/{filename}"
    stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=data)
    image = get_image_model()(title=filename, file=key, width=640, height=480, collection=collection)
    image.save()
    return image


def render_payload(job: Any, **changes: Any) -> dict[str, Any]:
    """The ``render_video`` request the plugin would send for ``job``, with ``changes`` applied as given."""
    payload = {
        "v": PROTOCOL_VERSION,
        "job_id": job.job_id,
        "organization_id": job.organization_id,
        "page_id": job.page_id,
        "image_key": job.image_key,
        "script": job.script,
        "voice": job.voice,
        "renderer": job.renderer,
        "output_key": job.output_key,
        "options": {},
    }
    payload.update(changes)
    return payload


def enqueue_render(*args: Any, **kwargs: Any) -> None:
    """Enqueue a ``render_video`` message with these arguments, unchecked, on the current broker."""
    broker = dramatiq.get_broker()
    if RENDER_QUEUE not in broker.get_declared_queues():
        broker.declare_queue(RENDER_QUEUE)
    message = dramatiq.Message(
        queue_name=RENDER_QUEUE, actor_name=RENDER_ACTOR, args=args, kwargs=kwargs, options={}
    )
    broker.enqueue(message)


def push_raw_message(redis_client: Any, body: bytes | dict[str, Any]) -> str:
    """Write ``body`` onto the render queue below Dramatiq: bytes as they are, a dict as a JSON envelope.

    Returns the Redis message id. A dict gets the ids the broker itself would add, so the runner can ack it.
    """
    message_id = str(uuid.uuid4())
    if isinstance(body, dict):
        envelope = {
            "queue_name": RENDER_QUEUE,
            "actor_name": RENDER_ACTOR,
            "message_id": message_id,
            "message_timestamp": int(time.time() * 1000),
            "options": {"redis_message_id": message_id},
            **body,
        }
        body = json.dumps(envelope).encode()
    queue = f"{DRAMATIQ_NAMESPACE}:{RENDER_QUEUE}"
    redis_client.hset(f"{queue}.msgs", message_id, body)
    redis_client.rpush(queue, message_id)
    return message_id


# --- jobs as the tests follow them ------------------------------------------------------------------------

JOB_TIMEOUT_S = 60
GOOD_SCRIPT = "The lamp still glows."


def new_page(shop: Any, org: str, title: str) -> ProductPage:
    """Another product page of ``org``, so that one more job can be in flight at once."""
    page = ProductPage(title=title, description="<p>A warm light.</p>", price=Decimal("9.00"))
    return shop.index[org].add_child(instance=page)


def finished(stack: Any, job: VideoJob) -> VideoJob:
    """``job`` once it reached a terminal state."""
    return stack.wait_for_job(lambda j: j.pk == job.pk and j.is_terminal, timeout=JOB_TIMEOUT_S)


def panel_job(client: Any, user: Any, page: Any) -> dict[str, Any]:
    """The latest job of ``page`` as the editor panel receives it."""
    client.force_login(user)
    response = client.get(reverse("video_plugin:status", args=[page.pk]))
    assert response.status_code == 200
    return response.json()["job"]


def assert_failed_and_kept(stack: Any, job: VideoJob, code: str, *phrases: str) -> VideoJob:
    """The job ended ``failed`` with ``code`` and a message holding ``phrases``; no file, no media."""
    done = finished(stack, job)
    assert (done.status, done.error_code) == (VideoJob.Status.FAILED, code), (done.error_message, code)
    for phrase in phrases:
        assert phrase in done.error_message, (phrase, done.error_message)
    assert done.media_id is None and done.is_current is False
    if done.output_key:  # a job the plugin refused never had one
        assert not stack.keys_under(done.output_key.removesuffix(".mp4"))
    return done
