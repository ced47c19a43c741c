"""storage_backend: VIDEO_STORAGE_URL as Django's default storage, local folder or S3/R2."""

from __future__ import annotations

import re

import pytest
from django.http import Http404
from django.views.static import serve

from gpu_runner.protocol import ProtocolError
from tests.conftest import make_image
from video_plugin.jobs.storage import storage_backend
from video_plugin.jobs.upload_names import UnguessableFileSystemStorage


def test_a_folder_becomes_a_file_system_storage_served_under_media(tmp_path):
    backend = storage_backend(str(tmp_path))
    assert backend == {
        "BACKEND": "video_plugin.jobs.upload_names.UnguessableFileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": "/media/"},
    }


def test_r2_with_a_public_domain_gives_unsigned_urls_and_r2_safe_checksums(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    backend = storage_backend(
        "s3://shop-videos/prod?endpoint=https://acct.r2.cloudflarestorage.com&public_url=https://cdn.example.com/v/"
    )
    options = backend["OPTIONS"]
    assert backend["BACKEND"] == "video_plugin.jobs.s3_storage.UnguessableS3Storage"
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


ORIGINAL_NAME_RE = re.compile(r"^original_images/[0-9a-z]{16}_(?P<name>[^/]+)$")


@pytest.mark.django_db
def test_uploaded_images_and_their_renditions_have_names_nobody_can_guess(world, video_storage, rf):
    """Presenter photos were public at guessable paths: original_images/presenter.png and its renditions."""
    image = make_image("presenter", world.orgs["acme"].collection)
    image.file.save("presenter.png", image.file.file, save=True)  # as an upload form names it
    match = ORIGINAL_NAME_RE.match(image.file.name)
    assert match and match["name"] == "presenter.png", image.file.name
    rendition = image.get_rendition("fill-200x200")
    token = image.file.name.split("/")[1][:16]
    assert rendition.file.name.startswith(f"images/{token}_presenter."), rendition.file.name
    # Nothing answers at the names a visitor would try, through the view the demo serves its folder with.
    for guess in ("original_images/presenter.png", "images/presenter.fill-200x200.png"):
        with pytest.raises(Http404):
            serve(rf.get(f"/media/{guess}"), guess, document_root=str(video_storage))
    served = serve(rf.get("/media/x"), image.file.name, document_root=str(video_storage))
    assert served.status_code == 200  # the control: the real name serves


def test_long_upload_names_keep_the_token_within_the_field_length():
    name = UnguessableFileSystemStorage(location="/nonexistent").generate_filename(
        "original_images/" + "x" * 90 + ".jpeg"
    )
    assert len(name) <= 100 and ORIGINAL_NAME_RE.match(name) and name.endswith(".jpeg")


def test_other_folders_and_named_files_keep_their_names():
    storage = UnguessableFileSystemStorage(location="/nonexistent")
    assert storage.generate_filename("7/videos/ai-generated/3-0123456789abcdef.mp4").endswith(
        "3-0123456789abcdef.mp4"
    )
    tokened = "original_images/0123456789abcdef_lamp.png"
    assert storage.generate_filename(tokened) == tokened  # a name given once is not given another


def test_the_s3_storage_names_uploads_the_same_way():
    from video_plugin.jobs.s3_storage import UnguessableS3Storage

    storage = UnguessableS3Storage(**storage_backend("s3://b?endpoint=https://s3.example")["OPTIONS"])
    assert ORIGINAL_NAME_RE.match(storage.generate_filename("original_images/presenter.png"))
