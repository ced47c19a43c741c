"""Runner test fixtures: a face photo, a private Redis database, dummy S3 credentials, loaded TTS engines.

The S3 server is ``r2`` (tests/conftest.py): Cloudflare's R2 simulator, which checks every signature.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
import redis
from PIL import Image

from gpu_runner.tts import SpeechService, build_speech_service

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
