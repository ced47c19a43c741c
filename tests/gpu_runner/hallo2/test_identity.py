"""The ArcFace identity embedding, loaded through insightface's routing from a tiny same-shaped model."""

from __future__ import annotations

from pathlib import Path

import insightface
import numpy as np
import pytest
import torch
from PIL import Image

from gpu_runner.faces import FaceFinder, PresenterFace
from gpu_runner.renderers.hallo2.identity import (
    EMBEDDING_SIZE,
    IdentityEncoder,
    five_keypoints,
)
from tests.gpu_runner.hallo2.fixtures_preprocess import astronaut, export_tiny_arcface

ARCFACE_PATH = Path("face_analysis/models/glintr100.onnx")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_tiny_arcface(tmp_path_factory.mktemp("models") / ARCFACE_PATH)


@pytest.fixture(scope="module")
def encoder(model_path: Path) -> IdentityEncoder:
    return IdentityEncoder(model_path)


@pytest.fixture(scope="module")
def faces() -> dict[str, PresenterFace]:
    hanks = Image.open(Path(insightface.__file__).parent / "data" / "images" / "Tom_Hanks_54745.png")
    with FaceFinder() as finder:
        return {"astronaut": finder.find(astronaut()), "hanks": finder.find(hanks)}


def test_embedding_is_raw_512_floats(encoder, faces):
    face = faces["astronaut"]
    embedding = encoder.embed(face.image, face.landmarks)
    assert encoder.enabled
    assert embedding.fallback is None
    assert embedding.vector.shape == (EMBEDDING_SIZE,)
    assert embedding.vector.dtype == np.float32
    assert np.isfinite(embedding.vector).all()
    # Hallo2 takes the embedding un-normalised: nothing scales it to unit length.
    assert abs(float(np.linalg.norm(embedding.vector)) - 1.0) > 0.05


def test_embedding_is_deterministic_and_depends_on_the_face(encoder, faces):
    first = encoder.embed(faces["astronaut"].image, faces["astronaut"].landmarks).vector
    again = encoder.embed(faces["astronaut"].image, faces["astronaut"].landmarks).vector
    other = encoder.embed(faces["hanks"].image, faces["hanks"].landmarks).vector
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


def test_keypoints_are_in_arcface_order(faces):
    left_eye, right_eye, nose, mouth_left, mouth_right = five_keypoints(faces["astronaut"].landmarks)
    assert left_eye[0] < nose[0] < right_eye[0]
    assert mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


def test_a_missing_model_names_the_file_and_the_fetch_command(tmp_path):
    missing = tmp_path / ARCFACE_PATH
    with pytest.raises(FileNotFoundError) as error:
        IdentityEncoder(missing)
    assert str(missing) in str(error.value)
    assert "python -m gpu_runner fetch-models" in str(error.value)


def test_a_model_of_another_kind_is_refused(tmp_path):
    # A 192×192 input is what insightface routes to its landmark model, not to ArcFace.
    path = tmp_path / "landmarks.onnx"
    torch.onnx.export(
        torch.nn.Conv2d(3, 2, 192).eval(), (torch.zeros(1, 3, 192, 192),), str(path), dynamo=False
    )
    with pytest.raises(ValueError, match="not an ArcFace recognition model"):
        IdentityEncoder(path)


def test_disabled_identity_returns_zeros_and_says_why(faces):
    reason = "identity embedding disabled: non-commercial weights are not allowed"
    encoder = IdentityEncoder.disabled(reason)
    embedding = encoder.embed(faces["astronaut"].image, faces["astronaut"].landmarks)
    assert not encoder.enabled
    assert embedding.fallback == reason
    assert embedding.vector.shape == (EMBEDDING_SIZE,) and embedding.vector.dtype == np.float32
    assert not embedding.vector.any()
