"""Storage: a local folder and an S3 API (Cloudflare's R2 simulator, region auto), retries and their limits.

What R2 checks of each request (signatures, presigned URLs, payload digests) is proven in
tests/security/test_signed_storage.py.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from gpu_runner.storage import LocalStorage, ObjectNotFound, S3Storage, StorageUnreachable, open_storage
from tests.services import R2Server, free_port

# An account endpoint as R2 gives it; the tests that use it never reach the network.
R2_ENDPOINT = "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"


def test_local_round_trip(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path / "store"))
    assert isinstance(storage, LocalStorage)
    source = tmp_path / "v.mp4"
    source.write_bytes(b"video bytes")
    storage.put_file("12/videos/ai-generated/3-x.mp4", source, "video/mp4")
    assert storage.get("12/videos/ai-generated/3-x.mp4") == b"video bytes"
    assert not list((tmp_path / "store").rglob("*.partial"))
    with pytest.raises(ObjectNotFound, match="nope.jpg"):
        storage.get("12/images/nope.jpg")


def test_local_refuses_keys_outside_its_folder(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        storage.get("../etc/passwd")


def test_s3_round_trip_with_prefix(r2_env: R2Server, tmp_path: Path) -> None:
    prefix = f"shop-{uuid.uuid4().hex[:8]}"
    storage = open_storage(r2_env.storage_url("videos", prefix))
    assert isinstance(storage, S3Storage)
    source = tmp_path / "v.mp4"
    source.write_bytes(b"\x00video")
    storage.put_file("12/videos/ai-generated/3-x.mp4", source, "video/mp4")
    head = r2_env.client().head_object(Bucket="videos", Key=f"{prefix}/12/videos/ai-generated/3-x.mp4")
    assert head["ContentType"] == "video/mp4" and head["ContentLength"] == 6
    assert storage.get("12/videos/ai-generated/3-x.mp4") == b"\x00video"
    with pytest.raises(ObjectNotFound):
        storage.get("12/images/missing.jpg")


def test_s3_client_uses_r2_compatible_settings(aws_env: None) -> None:
    storage = open_storage(f"s3://any?endpoint={R2_ENDPOINT}&region=auto")
    config = storage._client.meta.config
    assert config.signature_version == "s3v4"
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert storage._client.meta.region_name == "auto"


def test_unreachable_storage_gives_up_after_bounded_retries(aws_env: None, tmp_path: Path) -> None:
    url = f"s3://videos?endpoint=http://127.0.0.1:{free_port()}&region=auto"
    storage = open_storage(url, attempts=3, first_backoff_s=0.05)
    started = time.monotonic()
    with pytest.raises(StorageUnreachable, match="after 3 attempts") as caught:
        storage.get("12/images/p.jpg")
    assert "VIDEO_STORAGE_URL" in str(caught.value)
    assert 0.15 <= time.monotonic() - started < 10  # backoff 0.05 + 0.1 s, then it stops


def test_transient_server_errors_are_retried(aws_env: None) -> None:
    from botocore.exceptions import ClientError

    storage = open_storage(f"s3://any?endpoint={R2_ENDPOINT}&region=auto", first_backoff_s=0.01)
    calls = []

    def flaky(key: str) -> bytes:
        calls.append(key)
        if len(calls) < 3:
            raise ClientError(
                {"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "Get"
            )
        return b"ok"

    storage._get = flaky  # type: ignore[method-assign]
    assert storage.get("k") == b"ok" and len(calls) == 3
