"""Finding, counting and framing the presenter's face on real photos."""

from __future__ import annotations

from pathlib import Path

import insightface
import numpy as np
import pytest
from PIL import Image
from skimage import data

from bench import faces as faces_bench
from gpu_runner.faces import FACE_FILL, LANDMARK_COUNT, SILHOUETTE_IDS, FaceFinder, crop_square
from gpu_runner.protocol import ErrorCode
from gpu_runner.renderers.base import RenderRefused

INSIGHTFACE_IMAGES = Path(insightface.__file__).parent / "data" / "images"


@pytest.fixture(scope="module")
def finder() -> FaceFinder:
    with FaceFinder() as face_finder:
        yield face_finder


def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def outline_fill(landmarks: np.ndarray, size: int) -> float:
    outline = landmarks[list(SILHOUETTE_IDS)]
    return float((outline.max(axis=0) - outline.min(axis=0)).max() / size)


def test_one_face_is_framed_in_a_square_with_landmarks_in_its_pixels(finder):
    face = finder.find(astronaut(), size=512)
    assert face.image.size == (512, 512) and face.image.mode == "RGB"
    assert face.landmarks.shape == (LANDMARK_COUNT, 2)
    assert face.landmarks.min() > 0 and face.landmarks.max() < 512
    assert outline_fill(face.landmarks, 512) == pytest.approx(FACE_FILL, abs=0.02)
    # The face sits in the middle of the frame, a little above centre.
    centre_x, centre_y = face.landmarks[list(SILHOUETTE_IDS)].mean(axis=0)
    assert abs(centre_x - 256) < 30 and 190 < centre_y < 260
    assert face.padded is False


def test_landmarks_match_a_fresh_detection_on_the_crop(finder):
    face = finder.find(astronaut(), size=512)
    again = finder.find(face.image, size=512)
    # Framing the framed image changes nothing much: the landmarks were already in the crop's frame.
    scale = (again.crop_box[2] - again.crop_box[0]) / 512
    in_first_crop = again.landmarks * scale + np.array(again.crop_box[:2])
    assert np.abs(in_first_crop - face.landmarks).max() < 8.0
    assert np.median(np.abs(in_first_crop - face.landmarks)) < 2.0


def test_a_close_up_is_padded_by_repeating_its_edges(finder):
    photo = Image.open(INSIGHTFACE_IMAGES / "Tom_Hanks_54745.png")
    face = finder.find(photo, size=256)
    assert face.padded is True
    assert face.image.size == (256, 256)
    assert outline_fill(face.landmarks, 256) == pytest.approx(FACE_FILL, abs=0.03)
    x0, y0, x1, y1 = face.crop_box
    assert x0 < 0 or y0 < 0 or x1 > photo.width or y1 > photo.height


def test_a_photo_without_a_face_is_refused(finder):
    with pytest.raises(RenderRefused) as refused:
        finder.find(Image.new("RGB", (640, 480), (200, 190, 180)))
    assert refused.value.code == ErrorCode.NO_FACE
    assert "no face found in the presenter image" in refused.value.message
    assert "one face" in refused.value.message and "30°" in refused.value.message


def test_a_group_photo_is_refused(finder):
    with pytest.raises(RenderRefused) as refused:
        finder.find(Image.open(INSIGHTFACE_IMAGES / "t1.jpg"))
    assert refused.value.code == ErrorCode.SEVERAL_FACES
    assert "faces found" in refused.value.message and "exactly one" in refused.value.message


def test_the_face_benchmark_prints_each_photos_figures(capsys):
    """How fast a face is found is the benchmark's to print (``python -m bench.faces``), not the unit suite's
    to assert: a busy machine would fail a time limit, an idle one would hide a slowdown under it."""
    assert faces_bench.main(["--repeat", "2", "--size", "256"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "face bench: FaceFinder.find, 2 calls per photo after one warm-up, framed to 256²"
    assert lines[1].startswith("models built in ") and lines[1].endswith(" ms")
    assert lines[2].split() == ["photo", "size", "padded", "median_ms", "max_ms"]
    rows = [line.split() for line in lines[3:]]
    assert [row[:3] for row in rows] == [["astronaut", "512×512", "no"], ["close-up", "112×112", "yes"]]
    for row in rows:
        assert 0 < float(row[3]) <= float(row[4])


def test_crop_square_repeats_edge_pixels_outside_the_image():
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[:, 0] = 255  # a white left column
    crop, padded = crop_square(rgb, (-4, 0, 4, 8), 8)
    assert padded is True
    assert crop.shape == (8, 8, 3)
    assert (crop[:, :5] == 255).all() and (crop[:, 5:] == 0).all()
