"""Presenter images from untrusted bytes: the limits, the broken files, and the normalisation."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gpu_runner.images import load_presenter_image
from gpu_runner.protocol import ErrorCode, image_size_problem
from gpu_runner.renderers.base import RenderRefused


def encode(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def refused_code(data: bytes, **limits: int) -> str:
    with pytest.raises(RenderRefused) as caught:
        load_presenter_image(data, name="photo.jpg", **limits)
    assert "photo.jpg" in caught.value.message
    return caught.value.code


def test_a_photo_comes_back_rgb(face_jpeg: bytes) -> None:
    image = load_presenter_image(face_jpeg)
    assert (image.mode, image.size) == ("RGB", (512, 512))


def test_not_an_image_is_unreadable() -> None:
    assert refused_code(b"%PDF-1.7 definitely not a photo") == ErrorCode.IMAGE_UNREADABLE


def test_truncated_image_is_unreadable(face_jpeg: bytes) -> None:
    assert refused_code(face_jpeg[: len(face_jpeg) // 2]) == ErrorCode.IMAGE_UNREADABLE


def test_too_many_bytes_is_too_large(face_jpeg: bytes) -> None:
    assert refused_code(face_jpeg, max_bytes=1000) == ErrorCode.IMAGE_TOO_LARGE


def test_decompression_bomb_is_too_large() -> None:
    # A 1-bit 20000×20000 PNG is tiny on disk but 400 megapixels decoded: it is refused before decoding.
    bomb = encode(Image.new("1", (20000, 20000)), optimize=True)
    assert len(bomb) < 200_000
    assert refused_code(bomb) == ErrorCode.IMAGE_TOO_LARGE


def test_pixel_limit_is_checked_before_decoding() -> None:
    assert refused_code(encode(Image.new("RGB", (300, 300))), max_pixels=50_000) == ErrorCode.IMAGE_TOO_LARGE


def test_a_121_megapixel_photo_is_refused_for_its_pixels_with_the_contracts_message() -> None:
    # Between Pillow's bomb warning (89 megapixels) and its error (179): the contract's limit decides.
    huge = encode(Image.new("1", (11000, 11000)), optimize=True)
    with pytest.raises(RenderRefused) as caught:
        load_presenter_image(huge, name="photo.png")
    assert caught.value.code == ErrorCode.IMAGE_TOO_LARGE
    assert caught.value.message == image_size_problem("photo.png", width=11000, height=11000)


def test_exif_rotation_is_applied_and_palette_converted() -> None:
    landscape = Image.new("RGB", (300, 200), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    upright = load_presenter_image(encode(landscape, "JPEG", exif=exif.tobytes()))
    assert upright.size == (200, 300)
    assert load_presenter_image(encode(Image.new("P", (40, 40)))).mode == "RGB"


def test_large_photos_are_scaled_down() -> None:
    image = load_presenter_image(encode(Image.new("RGB", (4096, 1024)), "JPEG"))
    assert image.size == (2048, 512)
