"""Photos with content credentials (C2PA) for the tests: a small JPEG signed with the runner's demo chain
(:func:`gpu_runner.signing_chain.make_demo_chain`) whose manifest states how it was made."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import c2pa
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from gpu_runner.signing_chain import make_demo_chain

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def signed_jpeg(folder: Path, source_type: str, colour: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    """A 64×64 JPEG whose signed manifest has one ``c2pa.created`` action of ``source_type`` (an IPTC digital
    source type, e.g. ``trainedAlgorithmicMedia`` or ``digitalCapture``)."""
    chain, key = make_demo_chain(folder)
    picture = io.BytesIO()
    PILImage.new("RGB", (64, 64), colour).save(picture, format="JPEG")
    picture.seek(0)
    manifest = {
        "claim_generator_info": [{"name": "wagtail-ai-video tests", "version": "1"}],
        "title": "presenter.jpg",
        "format": "image/jpeg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": IPTC + source_type}]},
            }
        ],
    }
    signer_info = c2pa.C2paSignerInfo(
        alg=b"es256", sign_cert=chain.read_bytes(), private_key=key.read_bytes(), ta_url=None
    )
    signed = io.BytesIO()
    with c2pa.Signer.from_info(signer_info) as signer, c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", picture, signed)
    return signed.getvalue()


def image_from_bytes(title: str, data: bytes, collection: Any, extension: str = "jpg") -> Any:
    """A saved Wagtail image of ``data`` in ``collection``."""
    image = get_image_model()(title=title, collection=collection)
    image.file = ImageFile(io.BytesIO(data), name=f"{title.lower().replace(' ', '-')}.{extension}")
    image.save()
    return image
