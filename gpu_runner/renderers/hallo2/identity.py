"""The presenter's identity embedding: insightface's ArcFace (antelopev2 ``glintr100.onnx``), raw, 512-d.

Hallo2 feeds the RAW embedding (not L2-normalised) through its image projection, so that is what we return.

One difference from the reference, on purpose: the reference runs insightface's whole ``FaceAnalysis``
(the SCRFD detector and four other models) and aligns the face on SCRFD's five keypoints. We already hold
MediaPipe's 478 landmarks (:mod:`gpu_runner.faces`), so the five keypoints (eye centres, nose tip, mouth
corners) come from those, and the only insightface model loaded is the recognition network. The alignment
is the same similarity transform onto ArcFace's template (``face_align.norm_crop``); keypoints from
another detector move it by a pixel or two at 112², which changes the embedding slightly, not its meaning.

The antelopev2 weights are licensed for non-commercial research only. A runner that may not use them
builds :meth:`IdentityEncoder.disabled`, which returns zeros (what the reference itself feeds when it
finds no face) and says so, so the job can record the fallback.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from insightface.model_zoo import get_model
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.utils import face_align
from PIL import Image

EMBEDDING_SIZE = 512
FETCH_MODELS_COMMAND = "python -m gpu_runner fetch-models"

# MediaPipe face-mesh indices of the five points ArcFace aligns on, in insightface's order: the eye on the
# image's left, the eye on the image's right, the nose tip, the left and right mouth corners. The eye centres
# are the iris centres (points 468 and 473, present with refined landmarks), which is where SCRFD puts them.
LEFT_EYE, RIGHT_EYE, NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT = 468, 473, 1, 61, 291


@dataclass(frozen=True)
class IdentityEmbedding:
    """A raw ArcFace embedding, float32 (512,).

    When identity is off, ``vector`` is zeros and ``fallback`` says why (for the job's fallbacks list).
    """

    vector: np.ndarray
    fallback: str | None = None


def five_keypoints(landmarks: np.ndarray) -> np.ndarray:
    """ArcFace's five alignment keypoints, (5, 2) float32, from MediaPipe's 478 landmarks."""
    if landmarks.shape[0] <= RIGHT_EYE:
        raise ValueError(
            f"got {landmarks.shape[0]} landmarks; the iris centres need the 478 of a refined face mesh"
        )
    indices = [LEFT_EYE, RIGHT_EYE, NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT]
    return np.asarray(landmarks[indices], dtype=np.float32)


class IdentityEncoder:
    """Embeds a face with ArcFace. Load once per process; :meth:`embed` takes milliseconds."""

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        providers: Sequence[str] = ("CPUExecutionProvider",),
    ) -> None:
        """Load the ArcFace ONNX model at ``model_path`` with these onnxruntime ``providers``."""
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"ArcFace identity model {str(path)!r} not found; fetch the Hallo2 models with "
                f"`{FETCH_MODELS_COMMAND}`, or run without identity: "
                "GPU_RUNNER_ALLOW_NONCOMMERCIAL_WEIGHTS=false"
            )
        # insightface picks the model class from the network's input and output shapes.
        model = get_model(str(path), providers=list(providers))
        if not isinstance(model, ArcFaceONNX):
            raise ValueError(
                f"{str(path)!r} is not an ArcFace recognition model (insightface routed it to "
                f"{type(model).__name__}); expected glintr100.onnx, input (1, 3, 112, 112), output (1, 512)"
            )
        self._model: ArcFaceONNX | None = model
        self._fallback: str | None = None

    @classmethod
    def disabled(cls, reason: str) -> IdentityEncoder:
        """An encoder that loads nothing and returns zeros, with ``reason`` as the fallback to record."""
        encoder = cls.__new__(cls)
        encoder._model = None
        encoder._fallback = reason
        return encoder

    @property
    def enabled(self) -> bool:
        return self._model is not None

    def embed(self, image: Image.Image, landmarks: np.ndarray) -> IdentityEmbedding:
        """The raw 512-d embedding of the face in ``image`` (RGB), located by its MediaPipe ``landmarks``."""
        if self._model is None:
            return IdentityEmbedding(np.zeros(EMBEDDING_SIZE, dtype=np.float32), fallback=self._fallback)
        # insightface works on OpenCV's BGR order; get_feat swaps back to RGB for the network.
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        with warnings.catch_warnings():
            # insightface calls a scikit-image method deprecated in 0.26; the warning is theirs to fix.
            warnings.simplefilter("ignore", FutureWarning)
            aligned = face_align.norm_crop(
                bgr, landmark=five_keypoints(landmarks), image_size=self._model.input_size[0]
            )
        vector = self._model.get_feat(aligned).reshape(-1).astype(np.float32)
        if vector.shape != (EMBEDDING_SIZE,):
            raise ValueError(
                f"the ArcFace model returned {vector.shape[0]} values; Hallo2 needs {EMBEDDING_SIZE}"
            )
        return IdentityEmbedding(vector)
