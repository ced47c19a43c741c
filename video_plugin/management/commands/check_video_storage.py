"""``manage.py check_video_storage [--create-bucket]``: prove the video storage is reachable before serving.

Run at deploy time (the compose ``web`` service does): it fails with a message naming ``VIDEO_STORAGE_URL``
when the folder or bucket cannot be written, instead of the first editor's click failing later.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from gpu_runner.protocol import parse_storage_url

PROBE_KEY = "healthchecks/storage-probe.txt"


class Command(BaseCommand):
    help = "Check that VIDEO_STORAGE_URL can be written and read; optionally create its S3 bucket."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--create-bucket", action="store_true", help="create the S3 bucket when it does not exist yet"
        )

    def handle(self, *args, **options) -> None:
        url = settings.VIDEO_STORAGE_URL
        location = parse_storage_url(url)
        if location.kind == "s3" and options["create_bucket"]:
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
        where = location.bucket or location.path
        self.stdout.write(self.style.SUCCESS(f"video storage OK: {location.kind} {where}"))

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
