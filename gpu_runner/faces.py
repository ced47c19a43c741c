"""The presenter's face: found, counted, framed and landmarked with MediaPipe.

Hallo2 was trained on talking-head video where one face, turned less than 30°, fills about half of a
square frame. The reference only resizes the whole photo to 512², which squashes non-square photos and
leaves a small face small. We frame the photo instead: a square crop centred on the face, sized so that
the face fills :data:`FACE_FILL` of it, padded by repeating the edge pixels where the crop leaves the
photo, then resized to the render size. The 478 MediaPipe landmarks come back in the crop's pixel frame,
ready for :mod:`gpu_runner.renderers.hallo2.masks`.

MediaPipe 0.10.21 ships the face detection and face mesh models inside its wheel, so this works offline. Both
models are built once per :class:`FaceFinder` and run in milliseconds on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import cv2
import mediapipe as mp
import numpy as np
from PIL import Image

from .protocol import ErrorCode
from .renderers.base import RenderRefused

RENDER_SIZE = 512
LANDMARK_COUNT = 478
# The longer side of the face outline (MediaPipe's 36 silhouette points: forehead, cheeks, chin) as a
# fraction of the crop's side. The training frames have faces filling 50–70% of the frame; the middle keeps
# both ends safe.
FACE_FILL = 0.6
# The crop's centre sits this fraction of the crop's side below the face's centre: talking-head frames show
# more neck and shoulders than space above the head, and the outline's top is the forehead, not the hair.
CENTRE_BELOW_FACE = 0.05
# Face mesh is fed a square of this many face-detection boxes around the face: its own detector expects a face
# that fills a good part of the frame, which a small face in a large photo does not.
MESH_CONTEXT = 2.0
MESH_INPUT_SIZE = 512
MIN_DETECTION_CONFIDENCE = 0.5

# MediaPipe's face outline, the same 36 indices the Hallo2 reference (and our masks) use.
SILHOUETTE_IDS = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip

NO_FACE_MESSAGE = (
    "no face found in the presenter image; choose a photo where one face, turned less than 30°, "
    "fills about half the frame"
)


@dataclass(frozen=True)
class PresenterFace:
    """The framed presenter photo and its face landmarks.

    ``image`` is a ``size``×``size`` RGB crop; ``landmarks`` are MediaPipe's 478 face-mesh points as
    (x, y) pixel coordinates in ``image`` (float64, shape (478, 2)). ``crop_box`` is the crop as
    (x0, y0, x1, y1) pixels of the source photo; it may reach outside the photo, and ``padded`` says
    whether it does (that part repeats the edge pixels).
    """

    image: Image.Image
    landmarks: np.ndarray
    crop_box: tuple[int, int, int, int]
    padded: bool

    @property
    def size(self) -> int:
        return self.image.width


class FaceFinder:
    """Finds exactly one face in a presenter photo and frames it.

    Build once and reuse for every job (the MediaPipe graphs stay loaded); not thread-safe.
    """

    def __init__(self, min_confidence: float = MIN_DETECTION_CONFIDENCE) -> None:
        solutions = mp.solutions
        # Two detectors because neither sees everything: the full-range model (faces up to ~5 m) finds the
        # small faces of a group photo, the short-range model finds close-ups that fill the frame.
        self._full_range = solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence
        )
        self._short_range = solutions.face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=min_confidence
        )
        self._mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=1,
            refine_landmarks=True,  # 478 points: the 468 of the mesh plus the two irises
            min_detection_confidence=min_confidence,
        )

    def find(self, image: Image.Image, size: int = RENDER_SIZE) -> PresenterFace:
        """Frame the one face of ``image`` in a ``size``-pixel square.

        Raises :class:`RenderRefused` with ``no_face`` when there is no face (or none whose landmarks can be
        placed), and with ``several_faces`` when there is more than one.
        """
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        box = self._one_face_box(rgb)
        landmarks = self._landmarks(rgb, box)
        crop_box = face_crop_box(landmarks)
        crop, padded = crop_square(rgb, crop_box, size)
        scale = size / (crop_box[2] - crop_box[0])
        in_crop = (landmarks - np.array(crop_box[:2], dtype=np.float64)) * scale
        return PresenterFace(image=Image.fromarray(crop), landmarks=in_crop, crop_box=crop_box, padded=padded)

    def close(self) -> None:
        """Release MediaPipe's graphs."""
        for graph in (self._full_range, self._short_range, self._mesh):
            graph.close()

    def __enter__(self) -> FaceFinder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _one_face_box(self, rgb: np.ndarray) -> tuple[float, float, float, float]:
        boxes = _detection_boxes(self._full_range.process(rgb), rgb.shape)
        if not boxes:
            boxes = _detection_boxes(self._short_range.process(rgb), rgb.shape)
        if not boxes:
            raise RenderRefused(ErrorCode.NO_FACE, NO_FACE_MESSAGE)
        if len(boxes) > 1:
            raise RenderRefused(
                ErrorCode.SEVERAL_FACES,
                f"{len(boxes)} faces found in the presenter image; the video needs exactly one. "
                "Choose a photo of the presenter alone, or crop the others out.",
            )
        return boxes[0]

    def _landmarks(self, rgb: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        """The 478 landmarks in the source photo's pixels, from face mesh run on a square around ``box``."""
        x0, y0, x1, y1 = box
        side = MESH_CONTEXT * max(x1 - x0, y1 - y0)
        region = square_box((x0 + x1) / 2, (y0 + y1) / 2, side)
        crop, _ = crop_square(rgb, region, MESH_INPUT_SIZE)
        result = self._mesh.process(crop)
        if not result.multi_face_landmarks:
            raise RenderRefused(
                ErrorCode.NO_FACE,
                "a face was detected in the presenter image but its features could not be located "
                "(turned too far, covered or blurred?); choose a photo where one face, turned less "
                "than 30°, fills about half the frame",
            )
        points = result.multi_face_landmarks[0].landmark
        relative = np.array([(p.x, p.y) for p in points], dtype=np.float64)
        region_side = region[2] - region[0]
        return relative * region_side + np.array(region[:2], dtype=np.float64)


def _detection_boxes(result: object, shape: tuple[int, ...]) -> list[tuple[float, float, float, float]]:
    """MediaPipe detections as (x0, y0, x1, y1) pixel boxes."""
    height, width = shape[:2]
    boxes = []
    for detection in getattr(result, "detections", None) or []:
        rel = detection.location_data.relative_bounding_box
        x0, y0 = rel.xmin * width, rel.ymin * height
        boxes.append((x0, y0, x0 + rel.width * width, y0 + rel.height * height))
    return boxes


def square_box(centre_x: float, centre_y: float, side: float) -> tuple[int, int, int, int]:
    """An integer square (x0, y0, x1, y1) of about ``side`` pixels centred on the given point."""
    side_px = max(1, round(side))
    x0 = round(centre_x - side_px / 2)
    y0 = round(centre_y - side_px / 2)
    return x0, y0, x0 + side_px, y0 + side_px


def face_crop_box(landmarks: np.ndarray) -> tuple[int, int, int, int]:
    """The square crop, in the landmarks' pixel frame, in which the face outline fills :data:`FACE_FILL`."""
    outline = landmarks[list(SILHOUETTE_IDS)]
    (x0, y0), (x1, y1) = outline.min(axis=0), outline.max(axis=0)
    side = max(x1 - x0, y1 - y0) / FACE_FILL
    return square_box((x0 + x1) / 2, (y0 + y1) / 2 + CENTRE_BELOW_FACE * side, side)


def crop_square(rgb: np.ndarray, box: tuple[int, int, int, int], size: int) -> tuple[np.ndarray, bool]:
    """Cut ``box`` out of ``rgb`` and resize it to ``size``², repeating edge pixels outside the image.

    Edge repetition rather than mirroring: a mirrored border can show a second half-face, which the
    video model would try to animate. Returns the crop and whether any padding was needed.
    """
    height, width = rgb.shape[:2]
    x0, y0, x1, y1 = box
    pad_left, pad_top = max(0, -x0), max(0, -y0)
    pad_right, pad_bottom = max(0, x1 - width), max(0, y1 - height)
    visible = rgb[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)]
    padded = bool(pad_left or pad_top or pad_right or pad_bottom)
    if visible.size == 0:
        raise ValueError(f"crop box {box} does not overlap the {width}×{height} image")
    if padded:
        visible = cv2.copyMakeBorder(visible, pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_REPLICATE)
    side = x1 - x0
    # INTER_AREA averages when shrinking (no aliasing); cubic keeps edges when enlarging.
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(visible, (size, size), interpolation=interpolation)), padded
