"""storage_backend: VIDEO_STORAGE_URL as Django's default storage, local folder or S3/R2."""

from __future__ import annotations

import pytest

from gpu_runner.protocol import ProtocolError
from video_plugin.jobs.storage import storage_backend


def test_a_folder_becomes_a_file_system_storage_served_under_media(tmp_path):
    backend = storage_backend(str(tmp_path))
    assert backend == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": "/media/"},
    }


def test_r2_with_a_public_domain_gives_unsigned_urls_and_r2_safe_checksums(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    backend = storage_backend(
        "s3://shop-videos/prod?endpoint=https://acct.r2.cloudflarestorage.com&public_url=https://cdn.example.com/v/"
    )
    options = backend["OPTIONS"]
    assert backend["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "shop-videos" and options["location"] == "prod"
    assert (
        options["endpoint_url"] == "https://acct.r2.cloudflarestorage.com"
        and options["region_name"] == "auto"
    )
    assert options["custom_domain"] == "cdn.example.com/v" and options["url_protocol"] == "https:"
    assert options["querystring_auth"] is False
    assert (options["access_key"], options["secret_key"]) == ("key-id", "secret")
    config = options["client_config"]
    assert config.signature_version == "s3v4"
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"


def test_without_a_public_domain_urls_are_presigned(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    options = storage_backend("s3://bucket?endpoint=https://s3.example")["OPTIONS"]
    assert (
        options["querystring_auth"] is True and "custom_domain" not in options and "access_key" not in options
    )


def test_s3_storage_builds_a_stable_public_url():
    from storages.backends.s3 import S3Storage

    storage = S3Storage(
        **storage_backend("s3://b?endpoint=https://s3.example&public_url=https://cdn.example")["OPTIONS"]
    )
    assert (
        storage.url("1/videos/ai-generated/2-abc.mp4")
        == "https://cdn.example/1/videos/ai-generated/2-abc.mp4"
    )


def test_unknown_scheme_is_refused_with_the_fix():
    with pytest.raises(ProtocolError, match="use a folder or s3://"):
        storage_backend("gs://bucket")
