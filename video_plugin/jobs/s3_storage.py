"""The S3 and Cloudflare R2 storage, with unguessable upload names: a module of its own, because only an
install with the ``s3`` extra has django-storages and boto3."""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from video_plugin.jobs.upload_names import UnguessableUploadsMixin


class UnguessableS3Storage(UnguessableUploadsMixin, S3Storage):
    """django-storages' S3 storage, naming new originals as :mod:`video_plugin.jobs.upload_names` says."""
