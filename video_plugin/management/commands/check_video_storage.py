"""``manage.py check_video_storage [--create-bucket]``: prove the video storage is reachable before serving.

Run at deploy time (the compose ``web`` service does): it fails with a message naming ``VIDEO_STORAGE_URL``
when the folder or bucket cannot be written, instead of the first editor's click failing later.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from gpu_runner.protocol import parse_storage_url

PROBE_KEY = "healthchecks/storage-probe.txt"


class Command(BaseCommand):
    help = "Check that the video storage can be written and read; optionally create its S3 bucket."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--create-bucket", action="store_true", help="create the S3 bucket when it does not exist yet"
        )

    def handle(self, *args, **options) -> None:
        # VIDEO_STORAGE_URL is what the runners are given; a host that configures STORAGES itself (a plain
        # MEDIA_ROOT, or its own S3 options) has no such setting, and its default storage is checked as it is.
        url = getattr(settings, "VIDEO_STORAGE_URL", None)
        if url:
            location = parse_storage_url(url)
            where = f"{location.kind} {location.bucket or location.path}"
        else:
            url = where = describe(default_storage)
        if options["create_bucket"] and hasattr(default_storage, "bucket_name"):
            self._ensure_bucket()
        try:
            name = default_storage.save(PROBE_KEY, ContentFile(b"ok"))
            with default_storage.open(name) as probe:
                readable = probe.read() == b"ok"
            default_storage.delete(name)
        except Exception as exc:  # any backend error means the same thing to the operator
            raise CommandError(f"video storage {url!r} is not usable: {exc}") from exc
        if not readable:
            raise CommandError(f"video storage {url!r} returned different bytes than were written")
        self.stdout.write(self.style.SUCCESS(f"video storage OK: {where}"))

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        client = default_storage.connection.meta.client
        bucket = default_storage.bucket_name
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
                raise CommandError(f"cannot reach bucket {bucket!r}: {exc}") from exc
            region = default_storage.region_name
            config = {"CreateBucketConfiguration": {"LocationConstraint": region}} if region else {}
            client.create_bucket(Bucket=bucket, **config)
            self.stdout.write(f"created bucket {bucket!r}")


def describe(storage: Any) -> str:
    """A storage as an operator knows it: its folder or its bucket, else its class."""
    if getattr(storage, "bucket_name", None):
        return f"s3 {storage.bucket_name}"
    if getattr(storage, "location", None):
        return f"local {storage.location}"
    return type(storage).__name__
