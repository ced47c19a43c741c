"""Where images are read from and videos written to: a local folder, or an S3-compatible bucket (R2, AWS, …).

Both kinds take the same storage-relative keys (``12/videos/ai-generated/34-….mp4``). Transient failures
(connection errors, HTTP 5xx, throttling) are retried a bounded number of times with exponential backoff, then
reported as :class:`StorageUnreachable`; a missing object is :class:`ObjectNotFound` at once, and refused
credentials are :class:`StorageRefused` at once.
"""

from __future__ import annotations

import abc
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .protocol import StorageLocation, parse_storage_url

logger = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 4
FIRST_BACKOFF_S = 0.5


class StorageUnreachable(Exception):
    """Storage did not answer, or kept failing, after every retry. Worth trying the job again later."""


class StorageRefused(StorageUnreachable):
    """Storage answered and refused the credentials (a wrong key or secret, a key without access to the
    bucket, a skewed clock). Retrying will not help until the operator fixes them, so it is raised at once;
    a job still reports it as storage being unusable, worth trying again once fixed."""


class ObjectNotFound(Exception):
    """The key does not exist in storage."""


class Storage(abc.ABC):
    """Read and write objects by storage-relative key."""

    def __init__(self, attempts: int = ATTEMPTS, first_backoff_s: float = FIRST_BACKOFF_S) -> None:
        self.attempts = attempts
        self.first_backoff_s = first_backoff_s

    @abc.abstractmethod
    def describe(self) -> str:
        """Where this storage is, for logs and error messages (no credentials)."""

    @abc.abstractmethod
    def _get(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def _put_file(self, key: str, path: Path, content_type: str) -> None: ...

    @abc.abstractmethod
    def _is_transient(self, exc: Exception) -> bool: ...

    def _refusal(self, exc: Exception) -> str | None:
        """The storage's reason when ``exc`` is its refusal of the credentials, else ``None``."""
        return None

    def get(self, key: str) -> bytes:
        """The object's bytes; :class:`ObjectNotFound` if missing; :class:`StorageUnreachable` if down."""
        return self._retrying(f"read {key!r}", lambda: self._get(key))

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Upload a local file to ``key``, replacing what is there."""
        self._retrying(f"write {key!r}", lambda: self._put_file(key, path, content_type))

    def _retrying(self, what: str, call: Callable[[], T]) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                return call()
            except ObjectNotFound:
                raise
            except Exception as exc:
                refusal = self._refusal(exc)
                if refusal is not None:
                    raise StorageRefused(
                        f"{self.describe()} refused to {what}: {refusal}; check AWS_ACCESS_KEY_ID and "
                        "AWS_SECRET_ACCESS_KEY (a token with read and write access to this bucket) and the "
                        "machine's clock"
                    ) from exc
                if not self._is_transient(exc):
                    raise
                if attempt == self.attempts:
                    raise StorageUnreachable(
                        f"could not {what} in {self.describe()} after {attempt} attempts "
                        f"({type(exc).__name__}: {exc}); check that the storage is up and that "
                        "VIDEO_STORAGE_URL is right"
                    ) from exc
                delay = self.first_backoff_s * 2 ** (attempt - 1)
                logger.warning("storage: %s failed (%s); retrying in %.1f s", what, exc, delay)
                time.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")


class LocalStorage(Storage):
    """A folder on this machine: the embedded default, shared with the web process through the file system."""

    def __init__(
        self, root: str | Path, attempts: int = ATTEMPTS, first_backoff_s: float = FIRST_BACKOFF_S
    ) -> None:
        super().__init__(attempts, first_backoff_s)
        self.root = Path(root).resolve()

    def describe(self) -> str:
        return f"folder {self.root}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key {key!r} points outside {self.root}")
        return path

    def _get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(f"no object {key!r} in {self.describe()}")
        return path.read_bytes()

    def _put_file(self, key: str, path: Path, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy then rename, so a reader never sees half a video.
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        shutil.copyfile(path, partial)
        os.replace(partial, target)

    def _is_transient(self, exc: Exception) -> bool:
        # A local folder does not flap: a missing mount or a permission error will not heal in a second.
        return False


class S3Storage(Storage):
    """An S3-compatible bucket through boto3; credentials come only from the standard AWS variables."""

    def __init__(
        self, location: StorageLocation, attempts: int = ATTEMPTS, first_backoff_s: float = FIRST_BACKOFF_S
    ) -> None:
        super().__init__(attempts, first_backoff_s)
        import boto3
        from botocore.config import Config

        self.location = location
        # A session of its own reads the AWS_* variables now: boto3's default session keeps the credentials
        # it found for the first client, whatever the variables say when a later storage is opened.
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=location.endpoint,
            region_name=location.region,
            config=Config(
                signature_version="s3v4",
                # boto3 ≥ 1.36 by default streams an HTTPS upload as aws-chunked with its CRC32 in a
                # trailer, which R2 refuses; without it each request carries the signed SHA-256 of its body,
                # which R2 checks.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                # This class does the retrying (bounded, logged); botocore's own would multiply the attempts.
                # botocore's "max_attempts" counts retries after the first try; "total_max_attempts" counts
                # tries, and one try is what this class wants from botocore.
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )

    def describe(self) -> str:
        return f"bucket {self.location.bucket!r} at {self.location.endpoint or 'AWS'}"

    def _key(self, key: str) -> str:
        return f"{self.location.prefix}/{key}" if self.location.prefix else key

    def _get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self._client.get_object(Bucket=self.location.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(f"no object {key!r} in {self.describe()}") from None
            raise
        return response["Body"].read()

    def _put_file(self, key: str, path: Path, content_type: str) -> None:
        self._client.upload_file(
            str(path), self.location.bucket, self._key(key), ExtraArgs={"ContentType": content_type}
        )

    def _refusal(self, exc: Exception) -> str | None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import ClientError

        # upload_file words the server's answer into a message of its own; the answer is the context.
        answer = exc.__context__ if isinstance(exc, S3UploadFailedError) else exc
        if not isinstance(answer, ClientError):
            return None
        # R2 answers 401 for an unknown key id and 403 for a wrong secret, a skewed clock or no access.
        if answer.response.get("ResponseMetadata", {}).get("HTTPStatusCode") not in (401, 403):
            return None
        error = answer.response.get("Error", {})
        return f"{error.get('Code', 'refused')} ({error.get('Message', 'no message')})"

    def _is_transient(self, exc: Exception) -> bool:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

        if isinstance(exc, ConnectionError | HTTPClientError):
            return True
        if isinstance(exc, ClientError):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return status >= 500 or exc.response.get("Error", {}).get("Code") in ("SlowDown", "Throttling")
        # upload_file wraps the underlying error in a message only; treat it as transient (refused credentials
        # were told apart before), since what is left, such as a body damaged on the way, may pass next time.
        return isinstance(exc, S3UploadFailedError)


def open_storage(url: str, attempts: int = ATTEMPTS, first_backoff_s: float = FIRST_BACKOFF_S) -> Storage:
    """The storage ``VIDEO_STORAGE_URL`` names: a folder path (``file://`` or bare) or ``s3://bucket?…``."""
    location = parse_storage_url(url)
    if location.kind == "local":
        return LocalStorage(location.path, attempts, first_backoff_s)
    return S3Storage(location, attempts, first_backoff_s)
