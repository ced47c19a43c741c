"""One storage for Wagtail images, wagtailmedia files and the runner's videos, built from
``VIDEO_STORAGE_URL``.

The runner reads presenter images and writes videos through the same location (``gpu_runner.protocol`` parses
the URL for both sides), so a Media row can point at the runner's key and an image's ``file.name`` is the
runner's key.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from gpu_runner.protocol import StorageLocation, parse_storage_url

LOCAL_MEDIA_URL = "/media/"


def storage_backend(url: str) -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry for ``VIDEO_STORAGE_URL``.

    A folder gives a ``FileSystemStorage`` served under :data:`LOCAL_MEDIA_URL`; ``s3://`` gives django-
    storages' ``S3Storage`` with R2-safe checksum settings. Both give uploaded images names nobody can guess
    (:mod:`video_plugin.jobs.upload_names`). Credentials come from ``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY`` (or boto3's usual chain when unset), never from the URL.
    """
    location = parse_storage_url(url)
    if location.kind == "local":
        return {
            "BACKEND": "video_plugin.jobs.upload_names.UnguessableFileSystemStorage",
            "OPTIONS": {"location": os.path.abspath(location.path), "base_url": LOCAL_MEDIA_URL},
        }
    return {"BACKEND": "video_plugin.jobs.s3_storage.UnguessableS3Storage", "OPTIONS": s3_options(location)}


def s3_options(location: StorageLocation) -> dict[str, Any]:
    """django-storages options for an S3 or Cloudflare R2 bucket."""
    # Imported here so that a local-folder install does not need botocore at settings time.
    from botocore.config import Config

    options: dict[str, Any] = {
        "bucket_name": location.bucket,
        "endpoint_url": location.endpoint,
        "region_name": location.region,
        "location": location.prefix,
        # client_config replaces botocore's whole config, so the checksum switches R2 needs must live here.
        "client_config": Config(
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
        # Two uploads of the same image name must not overwrite each other's objects.
        "file_overwrite": False,
    }
    if location.public_url:
        public = urlsplit(location.public_url)
        # A public domain (an R2 custom domain or a CDN) gives stable unsigned URLs, so pages can be cached.
        options.update(
            custom_domain=public.netloc + public.path.rstrip("/"),
            url_protocol=f"{public.scheme or 'https'}:",
            querystring_auth=False,
        )
    else:
        options["querystring_auth"] = True
    for option, variable in (("access_key", "AWS_ACCESS_KEY_ID"), ("secret_key", "AWS_SECRET_ACCESS_KEY")):
        if os.environ.get(variable):
            options[option] = os.environ[variable]
    return options


def is_local(url: str) -> bool:
    """Whether ``VIDEO_STORAGE_URL`` names a local folder, which Django then serves itself."""
    return parse_storage_url(url).kind == "local"
