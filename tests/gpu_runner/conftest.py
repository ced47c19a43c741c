"""Runner test fixtures: a face photo, a private Redis database, an S3 server, loaded TTS engines."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from PIL import Image

from gpu_runner.tts import SpeechService, build_speech_service
from tests.services import moto_server

# A database of its own, so flushing it never touches the dev server's data or another suite's; two checkouts
# testing side by side on one machine give each its own with TEST_RUNNER_REDIS_URL.
RUNNER_REDIS_URL = os.environ.get("TEST_RUNNER_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture(scope="session")
def face_photo() -> Image.Image:
    """NASA's portrait of Eileen Collins (public domain, shipped with scikit-image): one face, 512×512."""
    from skimage import data

    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="session")
def face_jpeg(face_photo: Image.Image) -> bytes:
    buffer = io.BytesIO()
    face_photo.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis URL on database 14, flushed before and after the test."""
    client = redis.Redis.from_url(RUNNER_REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not running at {RUNNER_REDIS_URL}; start it (redis-server) and rerun")
    yield RUNNER_REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An S3 API (``moto_server``) on a free loopback port, for the whole session."""
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials in the standard variables, the only place the runner reads them from."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def speech_service() -> SpeechService:
    """The runner's real engines, loaded once (edge-tts fails fast offline and stays usable by name)."""
    service = build_speech_service(default_voice="espeak:en-us", offline_voice="espeak:en-us")
    service.load()
    return service


@pytest.fixture
def s3_bucket(moto_endpoint: str, aws_env: None) -> tuple[str, Any]:
    """A fresh bucket on the S3 server, created in region ``auto`` as R2 has it; (name, boto3 client)."""
    import boto3

    name = f"videos-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="auto")
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "auto"})
    return name, client
