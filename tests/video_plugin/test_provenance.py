"""A photo's content credentials, read with the C2PA SDK: an AI digital source type in the active manifest's
actions marks it AI-generated; a camera's, no manifest, or an unreadable one do not."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from wagtail.models import Collection

from tests.content_credentials import image_from_bytes, signed_jpeg
from video_plugin.presenters.provenance import is_ai_generated, source_types


def photo(data: bytes, name: str = "face.jpg") -> SimpleNamespace:
    """An image-like object with ``data`` as its file, for bytes a Wagtail image could not be saved with."""
    return SimpleNamespace(pk=1, file=ContentFile(data, name=name))


@pytest.mark.parametrize(
    ("source_type", "ai"),
    [
        ("trainedAlgorithmicMedia", True),
        ("compositeWithTrainedAlgorithmicMedia", True),
        ("digitalCapture", False),
        ("algorithmicMedia", False),  # drawn by a program, not a trained model: not the rule's concern
    ],
)
def test_the_active_manifests_source_type_decides(tmp_path, source_type, ai):
    assert is_ai_generated(photo(signed_jpeg(tmp_path, source_type))) is ai


def test_a_saved_wagtail_image_is_read_from_its_storage(db, tmp_path):
    image = image_from_bytes(
        "made up face", signed_jpeg(tmp_path, "trainedAlgorithmicMedia"), Collection.get_first_root_node()
    )
    assert is_ai_generated(type(image).objects.get(pk=image.pk))


def test_a_photo_without_credentials_is_fine(image_factory):
    image = image_factory("plain face")  # a PNG straight from Pillow: no manifest at all
    assert is_ai_generated(image) is False


def test_an_unreadable_manifest_counts_as_none_and_is_logged(tmp_path, caplog):
    signed = signed_jpeg(tmp_path, "trainedAlgorithmicMedia")
    with caplog.at_level(logging.WARNING, logger="video_plugin.presenters.provenance"):
        assert is_ai_generated(photo(signed[: len(signed) // 3], "cut-off.jpg")) is False
    assert "could not read the content credentials of image 1 (cut-off.jpg)" in caplog.text
    assert "C2pa" in caplog.text  # the SDK's error, named


def test_source_types_read_versioned_and_numbered_action_assertions():
    manifest = {
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {"actions": [{"digitalSourceType": "https://x/y/digitalCapture"}]},
            },
            {
                "label": "c2pa.actions__1",
                "data": {"actions": [{"digitalSourceType": "trainedAlgorithmicMedia"}]},
            },
            # Not an actions assertion: its words are not the photo's source.
            {"label": "c2pa.actionsish", "data": {"actions": [{"digitalSourceType": "compositeSynthetic"}]}},
            {"label": "stds.schema-org.CreativeWork", "data": {}},
        ]
    }
    assert source_types(manifest) == {"digitalCapture", "trainedAlgorithmicMedia"}
