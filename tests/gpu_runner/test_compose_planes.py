"""The compositor's yuv420p pictures: regions on the chroma grid, pasting, and alpha blending by integers."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from gpu_runner.compose.planes import Overlay, Region, YuvPicture


def rgb(picture: YuvPicture) -> np.ndarray:
    return np.asarray(picture.to_image()).astype(int)


def test_regions_snap_to_even_pixels_inside_the_frame() -> None:
    assert Region.snapped(11, 7, 101, 51, 1920, 1080) == Region(10, 6, 102, 52)
    assert Region.snapped(1900, 1070, 100, 100, 1920, 1080) == Region(1900, 1070, 20, 10)
    assert Region(0, 0, 100, 100).intersection(Region(50, 60, 100, 100)) == Region(50, 60, 50, 40)
    assert Region(0, 0, 10, 10).intersection(Region(10, 0, 5, 5)) is None


def test_a_picture_converts_like_the_encoder_and_back() -> None:
    image = Image.new("RGB", (64, 32), (200, 40, 90))
    picture = YuvPicture.from_image(image)
    assert (picture.y.shape, picture.u.shape, picture.v.shape) == ((32, 64), (16, 32), (16, 32))
    # BT.601, limited range: what swscale does for the encoder, so players see the colour drawn.
    assert np.abs(rgb(picture) - np.array([200, 40, 90])).max() <= 2
    frame = picture.to_video_frame()
    assert (frame.format.name, frame.width, frame.height) == ("yuv420p", 64, 32)
    assert np.array_equal(YuvPicture.from_video_frame(frame).packed, picture.packed)


def test_paste_writes_the_region_only() -> None:
    picture = YuvPicture.from_image(Image.new("RGB", (64, 64), (0, 0, 0)))
    head = YuvPicture.from_image(Image.new("RGB", (20, 10), (255, 255, 255)))
    picture.paste(Region(10, 20, 20, 10), head.planes)
    pixels = rgb(picture)
    assert (pixels[20:30, 10:30] >= 253).all()
    pixels[20:30, 10:30] = 0
    assert pixels.max() <= 2


def test_blending_matches_alpha_compositing_and_stays_in_its_region() -> None:
    under = Image.new("RGB", (96, 64), (30, 60, 120))
    caption = Image.new("RGBA", (48, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(caption)
    draw.rectangle((0, 0, 47, 15), fill=(255, 255, 255, 255))
    draw.rectangle((0, 16, 47, 31), fill=(255, 0, 0, 128))
    region = Region(16, 16, 48, 32)
    picture = YuvPicture.from_image(under)
    Overlay(caption, region).blend_onto(picture)
    expected = under.convert("RGBA")
    expected.alpha_composite(caption, (16, 16))
    difference = np.abs(rgb(picture) - np.asarray(expected.convert("RGB")).astype(int)).max(axis=2)
    # Away from colour edges (where 4:2:0 chroma is shared by neighbours) the colours are the composited ones.
    edges = np.zeros_like(difference, bool)
    edges[[14, 15, 16, 17, 30, 31, 32, 33, 46, 47, 48, 49], :] = True
    edges[:, [14, 15, 16, 17, 62, 63, 64, 65]] = True
    assert difference[~edges].max() <= 4
    # Only inside ``within``: a blend limited to the left half leaves the right half as it was.
    half = YuvPicture.from_image(under)
    Overlay(caption, region).blend_onto(half, within=Region(0, 0, 40, 64))
    composited = np.asarray(expected.convert("RGB")).astype(int)
    assert np.abs(rgb(half)[36:46, 18:38] - composited[36:46, 18:38]).max() <= 4
    assert np.abs(rgb(half)[16:48, 42:64] - np.array([30, 60, 120])).max() <= 2


def test_a_transparent_overlay_changes_nothing() -> None:
    picture = YuvPicture.from_image(Image.new("RGB", (32, 32), (10, 200, 30)))
    before = picture.packed.copy()
    overlay = Overlay(Image.new("RGBA", (16, 16), (255, 255, 255, 0)), Region(8, 8, 16, 16))
    overlay.blend_onto(picture)
    assert not overlay.visible and np.array_equal(picture.packed, before)


def test_an_odd_sized_picture_is_refused() -> None:
    with pytest.raises(ValueError, match="even size"):
        YuvPicture(15, 16)
    assert av.VideoFrame(16, 16, "yuv420p").width == YuvPicture(16, 16).width
