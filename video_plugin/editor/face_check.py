"""A quick check, before anything is queued, that a presenter image shows one usable face.

The web process must not need the runner's ML stack, so this uses OpenCV's Haar cascade (tens of
milliseconds on a downscaled image). It only warns: the runner's own face detection decides. Without OpenCV
the check says it is unavailable rather than guessing.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from django.utils.translation import gettext as _

from gpu_runner.protocol import image_size_problem

logger = logging.getLogger(__name__)

# Haar cascades work on small greyscale images; larger ones cost time and find no more faces.
CHECK_SIZE_PX = 480
# A face smaller than this share of the shorter side is too small to animate.
MIN_FACE_SHARE = 0.12


@dataclass(frozen=True)
class FaceCheck:
    """A verdict (ok, no_face, several_faces, too_small, too_large, unreadable, unavailable) and a message."""

    verdict: str
    message: str
    faces: int = 0

    @property
    def usable(self) -> bool:
        return self.verdict == "ok"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "usable": self.usable}


@cache
def face_detector() -> Any | None:
    """OpenCV's frontal-face Haar cascade, loaded once; ``None`` when OpenCV is not installed."""
    try:
        import cv2
    except ImportError:
        return None
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def check_face(image: Any) -> FaceCheck:
    """Look for one face in a Wagtail image. Never raises: every problem is a verdict with a message.

    An image over the runner's size limits is reported as that first: looking for a face in it says nothing
    useful, since the runner refuses it before looking.
    """
    too_large = image_size_problem(
        _("Image '%(title)s'") % {"title": image.title},
        size_bytes=stored_size(image),
        width=image.width,
        height=image.height,
    )
    if too_large:
        return FaceCheck("too_large", too_large)
    detector = face_detector()
    if detector is None:
        return FaceCheck(
            "unavailable",
            _(
                "Face check unavailable: OpenCV is not installed in the web process "
                '(pip install "wagtail-ai-video[face-check]"). The runner still checks the face when it '
                "renders."
            ),
        )
    import cv2
    import numpy as np

    try:
        with image.open_file() as handle:
            data = np.frombuffer(handle.read(), dtype=np.uint8)
        picture = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    except Exception as exc:  # noqa: BLE001 - a missing or broken file is a verdict, not a crash
        logger.warning("face check could not read image %s: %s", image.pk, exc)
        picture = None
    if picture is None:
        return FaceCheck(
            "unreadable",
            _("Image '%(title)s' could not be read; upload it again as a JPEG or PNG.")
            % {"title": image.title},
        )
    scale = CHECK_SIZE_PX / max(picture.shape)
    if scale < 1:
        picture = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    shorter = min(picture.shape)
    faces = detector.detectMultiScale(
        cv2.equalizeHist(picture), scaleFactor=1.1, minNeighbors=5, minSize=(24, 24)
    )
    large = [face for face in faces if face[2] >= shorter * MIN_FACE_SHARE]
    if len(large) == 1:
        return FaceCheck("ok", _("One face found in '%(title)s'.") % {"title": image.title}, faces=1)
    if len(large) > 1:
        return FaceCheck(
            "several_faces",
            _("%(count)s faces found in '%(title)s'; choose a photo of one person.")
            % {"count": len(large), "title": image.title},
            faces=len(large),
        )
    if len(faces):
        return FaceCheck(
            "too_small",
            _("The face in '%(title)s' is too small; choose a photo where the face fills more of the frame.")
            % {"title": image.title},
            faces=len(faces),
        )
    return FaceCheck(
        "no_face",
        _("No face found in '%(title)s'; choose a photo of one person facing the camera.")
        % {"title": image.title},
    )


def stored_size(image: Any) -> int | None:
    """The size in bytes of the image's original file (what the runner downloads), or ``None`` if unknown."""
    if image.file_size is not None:
        return image.file_size
    try:
        return image.file.size
    except Exception as exc:  # noqa: BLE001 - the storage decides the error; the decode below reports it
        logger.warning("face check could not size image %s: %s", image.pk, exc)
        return None
