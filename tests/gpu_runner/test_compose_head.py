"""The rendered head read back from its video and cover-cropped into a box of another shape, by swscale."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gpu_runner.compose.head import head_frames
from gpu_runner.compose.planes import Region, YuvPicture


def striped_video(path: Path, frames: int) -> None:
    """A 64×64 video: a red left half and a blue right half, a white band across rows 16 to 31, frame by frame
    a grey square in the corner growing by one pixel (so frames differ)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        for index in range(frames):
            pixels = np.zeros((64, 64, 3), np.uint8)
            pixels[:, :32] = (220, 30, 30)
            pixels[:, 32:] = (30, 30, 220)
            pixels[16:32] = (255, 255, 255)
            pixels[: index + 1, : index + 1] = (128, 128, 128)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 25)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def rgb(planes: tuple, width: int, height: int) -> np.ndarray:
    picture = YuvPicture(width, height)
    picture.paste(Region(0, 0, width, height), planes)
    return np.asarray(picture.to_image()).astype(int)


def test_a_square_head_fills_a_tall_box_from_its_middle_columns(tmp_path: Path) -> None:
    striped_video(tmp_path / "head.mp4", 3)
    frames = list(head_frames(tmp_path / "head.mp4", Region(100, 40, 64, 128)))
    assert len(frames) == 3
    y, u, v = frames[-1]
    assert (y.shape, u.shape, v.shape) == ((128, 64), (64, 32), (64, 32))
    pixels = rgb(frames[-1], 64, 128)
    # Scaled to 128×128, the middle 64 columns are kept: 32 of red, then 32 of blue, at full height.
    assert np.abs(pixels[80, 4:28] - [220, 30, 30]).max() < 24
    assert np.abs(pixels[80, 36:60] - [30, 30, 220]).max() < 24
    assert np.abs(pixels[40:60, 8:56] - 255).max() < 24  # the white band, rows 32 to 63 once doubled


def test_a_square_head_fills_a_wide_box_a_little_above_its_middle(tmp_path: Path) -> None:
    striped_video(tmp_path / "head.mp4", 1)
    (planes,) = head_frames(tmp_path / "head.mp4", Region(0, 0, 128, 64))
    pixels = rgb(planes, 128, 64)
    # Scaled to 128×128 and cut to 64 rows starting at 0.45 of the 64 cut: rows 28 to 91 of the scaled head,
    # so the white band (rows 32 to 63 scaled) is at the top, not centred.
    white = np.nonzero((pixels[:, 8:56] > 230).all(axis=(1, 2)))[0]
    assert 3 <= white.min() <= 6 and 33 <= white.max() <= 36
