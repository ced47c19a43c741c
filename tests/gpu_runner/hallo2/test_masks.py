"""Hallo2's masks against the reference's own output on the golden landmarks (512² and 128²)."""

from __future__ import annotations

import numpy as np
import pytest

from gpu_runner.faces import FaceFinder
from gpu_runner.renderers.hallo2.masks import FaceMasks, compute_masks, expand_region, invert_mask
from tests.gpu_runner.hallo2.fixtures_preprocess import astronaut, load_golden_masks

UINT8_MASKS = {
    "face_box": "png_face_mask",
    "lip_box": "png_lip_mask",
    "face_blur": "png_face_mask_blur",
    "lip_soft": "png_sep_lip",
    "full_soft": "png_sep_background",
    "face_soft": "png_sep_face",
}


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    return load_golden_masks()


def masks_for(golden: dict[str, np.ndarray], prefix: str) -> FaceMasks:
    size = int(golden[f"{prefix}image_hw"][0])
    return compute_masks(golden[f"{prefix}landmarks"], size, float(golden[f"{prefix}face_expand_ratio"]))


@pytest.mark.parametrize("prefix", ["", "s128_"])
@pytest.mark.parametrize("field", sorted(UINT8_MASKS))
def test_uint8_masks_equal_the_reference(golden, prefix, field):
    ours = getattr(masks_for(golden, prefix), field)
    theirs = golden[prefix + UINT8_MASKS[field]]
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("prefix", ["", "s128_"])
def test_face_region_equals_the_reference(golden, prefix):
    region = masks_for(golden, prefix).face_region
    assert region.dtype == np.float32
    np.testing.assert_array_equal(region, golden[prefix + "face_region"])


@pytest.mark.parametrize("prefix", ["", "s128_"])
@pytest.mark.parametrize("kind", ["full", "face", "lip"])
def test_level_masks_equal_the_reference(golden, prefix, kind):
    levels = getattr(masks_for(golden, prefix), f"{kind}_levels")
    size = int(golden[f"{prefix}image_hw"][0])
    assert [level.shape for level in levels] == [(1, (size // d) ** 2) for d in (8, 16, 32, 64)]
    for depth, level in enumerate(levels):
        assert level.dtype == np.float32
        np.testing.assert_array_equal(level, golden[f"{prefix}{kind}_mask_{depth}"], err_msg=f"depth {depth}")


@pytest.mark.parametrize("prefix", ["", "s128_"])
@pytest.mark.parametrize("part", ["face", "lip"])
def test_expanded_boxes_equal_the_reference(golden, prefix, part):
    x0, y0, x1, y1 = golden[f"{prefix}{part}_minmax_rounded_x0y0x1y1"]
    ratio = float(golden[f"{prefix}face_expand_ratio"]) if part == "face" else 2.0
    size = int(golden[f"{prefix}image_hw"][0])
    expected = tuple(int(v) for v in golden[f"{prefix}{part}_expand_region_x0x1y0y1"])
    assert expand_region(x0, x1, y0, y1, size, size, ratio) == expected


def test_inversion_keeps_the_reference_truncation():
    values = np.arange(256, dtype=np.uint8)
    inverted = invert_mask(values)
    assert inverted[43] == 211  # 255 - 43 - 1: (1 - 43/255) * 255 lands just below 212
    assert inverted[0] == 255 and inverted[255] == 0
    assert int(np.count_nonzero(inverted != 255 - values)) == 50


def test_expand_region_shifts_boxes_back_inside_the_image():
    assert expand_region(0.0, 40.0, 90.0, 100.0, 100, 100, 2.0) == (0, 80, 80, 100)


def test_masks_of_a_real_face_cover_its_landmarks():
    with FaceFinder() as finder:
        face = finder.find(astronaut(), size=512)
    masks = compute_masks(face.landmarks, 512)
    xs, ys = np.round(face.landmarks).astype(int).clip(0, 511).T
    # Every landmark of the face outline lies inside the face-locator rectangle, the mouth inside the lips'.
    assert masks.face_box[ys, xs].min() == 255
    lips = np.round(face.landmarks[[61, 291, 0, 17]]).astype(int)
    assert masks.lip_box[lips[:, 1], lips[:, 0]].min() == 255
    # The face mask is strongest where the face is and the background mask where it is not.
    centre = (int(ys.mean()) // 8, int(xs.mean()) // 8)
    assert masks.face_blur[centre] > 200 and masks.full_soft[centre] < 55
    assert masks.full_soft[0, 0] > 200


def test_landmarks_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"\(478, 2\)"):
        compute_masks(np.zeros((68, 2)), 512)
