"""Signed storage, proven against a server that checks signatures as R2 does (issue 15, point 4).

The server is Cloudflare's R2 simulator (the ``r2`` fixture, ``tests/r2``): it verifies SigV4 in the
Authorization header and in presigned URLs, their expiry, and the signed digest of each body, where
``moto_server`` verifies none of the presigned part. Each side goes through its own code, configured from a
``VIDEO_STORAGE_URL`` of the README's shape (region ``auto``): the runner's ``gpu_runner.storage`` and the
plugin's ``storage_backend`` (django-storages), whose presigned URLs are the ones the player and the API give.

- With the token's credentials both sides write and read, and a finished video plays from its presigned URLs.
- Such a URL with one byte changed (signature, expiry, date, credential scope, key) is refused, and so is it
  once its hour is over.
- A wrong secret or an unknown key id is refused: the runner's upload and read stop at once with a message
  naming the variables, the plugin's upload fails, and a URL presigned with the wrong secret does not play.
- Uploads carry a digest R2 checks: the signed SHA-256 of their body, on the loopback server and to R2's
  HTTPS endpoint alike, sent plain (no aws-chunked streaming, no trailer) and with no checksum outside R2's
  list; a body changed after signing is refused.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import botocore.auth
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from gpu_runner.protocol import captions_key, poster_key
from gpu_runner.storage import S3Storage, StorageRefused, StorageUnreachable, open_storage
from tests.conftest import ShopWorld
from tests.security.conftest import finish
from tests.services import R2Server
from video_plugin.jobs.requests import request_video
from video_plugin.jobs.storage import storage_backend
from video_plugin.models import VideoJob
from video_plugin.public.playback import playback_for

# The checksums R2's S3 API takes, and of which type (developers.cloudflare.com/r2/api/s3/api/, "Checksum
# types"): CRC-64/NVME of the whole object only, the others as multipart composites only.
R2_CHECKSUM_TYPES = {
    "crc64nvme": "FULL_OBJECT",
    "crc32": "COMPOSITE",
    "crc32c": "COMPOSITE",
    "sha1": "COMPOSITE",
    "sha256": "COMPOSITE",
}
# The headers that name an algorithm: a part's or an object's, and a multipart upload's when it starts.
CHECKSUM_ALGORITHM_HEADERS = ("x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm")
# An account endpoint as R2 gives it; the uploads sent there are caught before they leave the process.
R2_HTTPS_ENDPOINT = "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"
# Past s3transfer's 8 MiB threshold, so the upload goes in parts.
MULTIPART_BYTES = 9 * 1024 * 1024
VIDEO_KEY = "12/videos/ai-generated/34-0123456789abcdef.mp4"
WRONG_SECRET = "0" * 64


@pytest.fixture
def prefix() -> str:
    """A key prefix of the test's own in the shared bucket, as a shop's VIDEO_STORAGE_URL may have one."""
    return f"signed-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def runner_storage(r2_env: R2Server, prefix: str) -> S3Storage:
    storage = open_storage(r2_env.storage_url("videos", prefix))
    assert isinstance(storage, S3Storage)
    return storage


@pytest.fixture
def plugin_storage(r2_env: R2Server, prefix: str, settings: Any) -> Any:
    """The site's default storage as the README sets it up for R2, without a public domain: presigned URLs."""
    settings.VIDEO_STORAGE_URL = r2_env.storage_url("videos", prefix)
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend(settings.VIDEO_STORAGE_URL)}
    return default_storage


@pytest.fixture
def video(runner_storage: S3Storage, tmp_path: Path) -> bytes:
    """A video the runner wrote at :data:`VIDEO_KEY`; its bytes."""
    data = b"\x00\x00\x00\x18ftypmp42" + os.urandom(64)
    source = tmp_path / "video.mp4"
    source.write_bytes(data)
    runner_storage.put_file(VIDEO_KEY, source, "video/mp4")
    return data


def fetch(url: str) -> tuple[int, bytes]:
    """``GET url`` as a browser or the player does: (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def error_code(body: bytes) -> str:
    match = re.search(rb"<Code>([^<]+)</Code>", body)
    return match[1].decode() if match else body[:200].decode(errors="replace")


def uploads_under(r2: R2Server, prefix: str) -> list[dict[str, Any]]:
    """The writes (PUT, POST) the server received for keys under ``prefix``."""
    return [
        request
        for request in r2.requests()
        if request["method"] in ("PUT", "POST") and f"/videos/{prefix}/" in request["path"]
    ]


# --- with the token's credentials


@pytest.mark.parametrize("size", [6, MULTIPART_BYTES], ids=["one-request", "in-parts"])
def test_the_runner_writes_and_reads_with_the_tokens_credentials(
    runner_storage: S3Storage, r2: R2Server, prefix: str, tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    source = tmp_path / "video.mp4"
    source.write_bytes(data)
    runner_storage.put_file(VIDEO_KEY, source, "video/mp4")
    assert runner_storage.get(VIDEO_KEY) == data
    head = r2.client().head_object(Bucket="videos", Key=f"{prefix}/{VIDEO_KEY}")
    assert head["ContentType"] == "video/mp4" and head["ContentLength"] == size


def test_the_plugin_writes_reads_and_deletes_through_its_default_storage(plugin_storage: Any) -> None:
    name = plugin_storage.save("original_images/café au lait.png", ContentFile(b"\x89PNG image"))
    assert name == "original_images/café au lait.png"  # a key that needs encoding, signed as sent
    assert plugin_storage.exists(name)
    with plugin_storage.open(name) as stored:
        assert stored.read() == b"\x89PNG image"
    plugin_storage.delete(name)
    assert not plugin_storage.exists(name)


@pytest.mark.django_db
def test_a_finished_video_plays_from_the_urls_the_player_gets(
    plugin_storage: Any, runner_storage: S3Storage, tmp_path: Path
) -> None:
    world = ShopWorld()  # its images go up through the plugin's storage
    job = request_video(world.product["acme"], None, VideoJob.Trigger.PUBLISH)
    assert runner_storage.get(job.image_key).startswith(b"\x89PNG")  # the runner reads the plugin's copy
    written = {}
    for key, content_type in (
        (job.output_key, "video/mp4"),
        (poster_key(job.output_key), "image/jpeg"),
        (captions_key(job.output_key), "text/vtt"),
    ):
        written[key] = os.urandom(32)
        (tmp_path / "file").write_bytes(written[key])
        runner_storage.put_file(key, tmp_path / "file", content_type)
    playback = playback_for(finish(job))

    urls = [playback.video_url, playback.poster_url, playback.captions_url]
    assert [fetch(url) for url in urls] == [(200, data) for data in written.values()]
    query = dict(parse_qsl(urlsplit(playback.video_url).query))
    assert query["X-Amz-Expires"] == "3600" and query["X-Amz-Credential"].endswith("/auto/s3/aws4_request")


# --- a changed URL, an old URL


def with_one_byte_changed(url: str, part: str) -> str:
    """``url`` with one byte of ``part`` changed: the last digit of a query parameter's value or of the path,
    so that the value stays well-formed; in the credential, the scope's region (``auto`` becomes ``autp``)."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = dict(parse_qsl(query))
    if part == "X-Amz-Credential":
        params[part] = params[part].replace("/auto/", "/autp/")
    elif part == "path":
        path = _with_last_digit_changed(path)
    else:
        params[part] = _with_last_digit_changed(params[part])
    return urlunsplit((scheme, netloc, path, urlencode(params), fragment))


def _with_last_digit_changed(text: str) -> str:
    index = max(i for i, char in enumerate(text) if char.isdigit())
    return text[:index] + ("1" if text[index] != "1" else "2") + text[index + 1 :]


@pytest.mark.parametrize(
    "part", ["X-Amz-Signature", "X-Amz-Expires", "X-Amz-Date", "X-Amz-Credential", "path"]
)
def test_a_presigned_url_with_one_byte_changed_is_refused(
    plugin_storage: Any, video: bytes, part: str
) -> None:
    url = plugin_storage.url(VIDEO_KEY)
    assert fetch(url) == (200, video)  # the control: the URL as signed plays
    changed = with_one_byte_changed(url, part)
    assert changed != url
    status, body = fetch(changed)
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch")


@pytest.fixture
def signing_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """``set_back(seconds)``: botocore signs as if it were that many seconds ago."""

    def set_back(seconds: float) -> None:
        then = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(seconds=seconds)
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: then)

    return set_back


def test_a_presigned_url_is_refused_once_its_hour_is_over(
    plugin_storage: Any, video: bytes, signing_clock: Callable[[float], None]
) -> None:
    signing_clock(3600 - 30)
    assert fetch(plugin_storage.url(VIDEO_KEY)) == (200, video)
    signing_clock(3600 + 30)
    status, body = fetch(plugin_storage.url(VIDEO_KEY))
    assert (status, error_code(body)) == (403, "ExpiredRequest")


# --- wrong credentials


@pytest.mark.parametrize(
    ("variable", "value", "answer"),
    [
        ("AWS_SECRET_ACCESS_KEY", WRONG_SECRET, "SignatureDoesNotMatch"),
        ("AWS_ACCESS_KEY_ID", "f" * 32, "Unauthorized"),  # R2 answers 401 for a key id it does not know
    ],
    ids=["wrong-secret", "unknown-key-id"],
)
def test_the_runner_stops_at_once_when_its_credentials_are_refused(
    r2_env: R2Server,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variable: str,
    value: str,
    answer: str,
) -> None:
    monkeypatch.setenv(variable, value)
    storage = open_storage(r2_env.storage_url("videos", prefix))  # four attempts, as the runner has them
    source = tmp_path / "video.mp4"
    source.write_bytes(b"\x00video")

    with pytest.raises(StorageRefused, match=answer) as upload:
        storage.put_file(VIDEO_KEY, source, "video/mp4")
    with pytest.raises(StorageRefused, match=answer) as read:
        storage.get("12/presenters/photo.png")

    for refused in (upload.value, read.value):
        assert isinstance(refused, StorageUnreachable)  # a job reports it as storage it cannot use
        assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in str(refused)
    assert len(uploads_under(r2_env, prefix)) == 1  # tried once: a retry would be refused the same way
    assert r2_env.client().list_objects_v2(Bucket="videos", Prefix=prefix)["KeyCount"] == 0


def test_the_plugin_cannot_upload_with_a_wrong_secret(
    plugin_storage: Any, r2_env: R2Server, prefix: str, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", WRONG_SECRET)
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend(settings.VIDEO_STORAGE_URL)}
    # The storage first asks whether the name is free (a HEAD, whose refusal has no body to name the reason).
    with pytest.raises(ClientError) as refused:
        default_storage.save("original_images/photo.png", ContentFile(b"\x89PNG image"))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert r2_env.client().list_objects_v2(Bucket="videos", Prefix=prefix)["KeyCount"] == 0


def test_a_url_presigned_with_a_wrong_secret_is_refused(
    plugin_storage: Any, video: bytes, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    assert fetch(plugin_storage.url(VIDEO_KEY)) == (200, video)  # the control: the right secret
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", WRONG_SECRET)
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend(settings.VIDEO_STORAGE_URL)}
    status, body = fetch(default_storage.url(VIDEO_KEY))
    assert (status, error_code(body)) == (403, "SignatureDoesNotMatch")


# --- the digest each upload carries


def assert_sent_as_r2_takes_it(headers: dict[str, str], body: bytes | None = None) -> None:
    """One upload request's headers (lower-case names): the body's SHA-256 signed, sent plain, and no checksum
    R2 does not take. ``body``, when known, is what the digest must be of."""
    digest = headers["x-amz-content-sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest), f"not a signed digest of the body: {digest}"
    if body is not None:
        assert digest == hashlib.sha256(body).hexdigest()
    signed = re.search(r"SignedHeaders=([^,]+)", headers["authorization"])
    assert signed and "x-amz-content-sha256" in signed[1].split(";")
    assert "aws-chunked" not in headers.get("content-encoding", "")
    assert "x-amz-trailer" not in headers and "x-amz-decoded-content-length" not in headers
    named = {headers[name].lower() for name in CHECKSUM_ALGORITHM_HEADERS if name in headers}
    carried = {name.removeprefix("x-amz-checksum-") for name in headers if name.startswith("x-amz-checksum-")}
    algorithms = named | (carried - {"algorithm", "type", "mode"})
    assert algorithms <= set(R2_CHECKSUM_TYPES), f"a checksum R2 does not take: {algorithms}"
    if "x-amz-checksum-type" in headers:
        assert {R2_CHECKSUM_TYPES[algorithm] for algorithm in algorithms} == {headers["x-amz-checksum-type"]}


def test_uploads_carry_the_signed_sha256_of_their_body(
    runner_storage: S3Storage, plugin_storage: Any, r2: R2Server, prefix: str, tmp_path: Path
) -> None:
    small, large = os.urandom(1000), os.urandom(MULTIPART_BYTES)
    (tmp_path / "small.mp4").write_bytes(small)
    (tmp_path / "large.mp4").write_bytes(large)
    runner_storage.put_file("12/videos/ai-generated/1-small.mp4", tmp_path / "small.mp4", "video/mp4")
    runner_storage.put_file("12/videos/ai-generated/2-large.mp4", tmp_path / "large.mp4", "video/mp4")
    plugin_storage.save("original_images/photo.png", ContentFile(b"\x89PNG image"))

    uploads = uploads_under(r2, prefix)
    by_path = {upload["path"].split("?")[0].rsplit("/", 1)[-1]: upload for upload in uploads}
    assert_sent_as_r2_takes_it(by_path["1-small.mp4"]["headers"], small)
    assert any(path.endswith("photo.png") for path in by_path)
    # The large one went in parts (create, two parts, complete), each with its own signed digest.
    parts = [upload for upload in uploads if "2-large.mp4" in upload["path"]]
    assert [upload["method"] for upload in parts] == ["POST", "PUT", "PUT", "POST"]
    for upload in uploads:
        assert_sent_as_r2_takes_it(upload["headers"])


class CaughtUploads:
    """Answers a client's requests in place of R2's HTTPS endpoint and keeps each upload, signed as sent."""

    def __init__(self) -> None:
        self.uploads: list[tuple[dict[str, str], bytes]] = []
        self.urls: list[str] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        if request.method == "PUT":
            body = request.body.read() if hasattr(request.body, "read") else bytes(request.body or b"")
            headers = {name.lower(): _text(value) for name, value in request.headers.items()}
            self.uploads.append((headers, body))
            self.urls.append(request.url)
        # A HEAD (django-storages asking whether a name is free) finds nothing; a PUT is stored.
        return AWSResponse(request.url, 404 if request.method == "HEAD" else 200, {}, _EmptyBody())


class _EmptyBody:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_uploads_to_r2s_https_endpoint_carry_the_same_signed_digest(
    monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path
) -> None:
    """Over HTTPS botocore may leave a body unsigned; with the settings R2 needs, it signs it all the same."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a" * 32)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b" * 64)
    url = f"s3://videos/shop?endpoint={R2_HTTPS_ENDPOINT}&region=auto"
    runner = open_storage(url)
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend(url)}
    caught = CaughtUploads()
    runner._client.meta.events.register("before-send.s3", caught)
    default_storage.connection.meta.client.meta.events.register("before-send.s3", caught)

    video = os.urandom(1000)
    (tmp_path / "video.mp4").write_bytes(video)
    runner.put_file(VIDEO_KEY, tmp_path / "video.mp4", "video/mp4")
    default_storage.save("original_images/photo.png", ContentFile(b"\x89PNG image"))

    # Path-style under the account's endpoint, the bucket first: what the signature covers.
    assert [url.split("?")[0] for url in caught.urls] == [
        f"{R2_HTTPS_ENDPOINT}/videos/shop/{VIDEO_KEY}",
        f"{R2_HTTPS_ENDPOINT}/videos/shop/original_images/photo.png",
    ]
    for headers, _ in caught.uploads:
        assert_sent_as_r2_takes_it(headers)
    assert [body for _, body in caught.uploads] == [video, b"\x89PNG image"]
    for headers, body in caught.uploads:
        assert_sent_as_r2_takes_it(headers, body)


def test_a_body_changed_after_signing_is_refused(r2_env: R2Server, prefix: str, tmp_path: Path) -> None:
    storage = open_storage(r2_env.storage_url("videos", prefix), attempts=2, first_backoff_s=0.01)

    def damage(request: Any, **_: Any) -> None:
        body = request.body.read() if hasattr(request.body, "read") else bytes(request.body)
        request.body = bytes([body[0] ^ 0xFF]) + body[1:]  # one byte, as a bad link might

    storage._client.meta.events.register("before-send.s3.PutObject", damage)
    (tmp_path / "video.mp4").write_bytes(os.urandom(1000))
    with pytest.raises(StorageUnreachable, match="XAmzContentSHA256Mismatch"):
        storage.put_file(VIDEO_KEY, tmp_path / "video.mp4", "video/mp4")
    assert r2_env.client().list_objects_v2(Bucket="videos", Prefix=prefix)["KeyCount"] == 0
