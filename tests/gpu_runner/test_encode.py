"""Encoding: H.264 + AAC in MP4, 25 fps, video as long as the speech, a JPEG poster; checked by decoding."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from gpu_runner import encode
from gpu_runner.checksums import file_sha256
from gpu_runner.encode import encode_mp4
from gpu_runner.renderers.base import FrameStream, NullReporter, RenderInput, Speech
from gpu_runner.renderers.still import StillRenderer


def tone(seconds: float, rate: int) -> Speech:
    t = np.arange(int(seconds * rate)) / rate
    return Speech(samples=(0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sample_rate=rate)


@pytest.mark.parametrize(("seconds", "rate"), [(2.37, 22050), (0.5, 24000)])
def test_still_video_decodes_with_the_right_streams(
    tmp_path: Path, face_photo: Image.Image, seconds: float, rate: int
) -> None:
    speech = tone(seconds, rate)
    stream = StillRenderer().render(RenderInput(image=face_photo, speech=speech), NullReporter())
    encoded = encode_mp4(stream, speech, tmp_path / "v.mp4", tmp_path / "p.jpg")

    expected_frames = math.ceil(seconds * 25)
    assert encoded.frames == expected_frames
    with av.open(str(encoded.video_path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert video.average_rate == 25 and video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (512, 512)
        assert audio.codec_context.sample_rate == rate
        decoded_frames = sum(1 for _ in container.decode(video=0))
    with av.open(str(encoded.video_path)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert decoded_frames == expected_frames
    assert abs(expected_frames / 25 - seconds) < 1 / 25
    # AAC decoders drop the encoder's priming samples; what is left is the speech, to within one AAC frame.
    assert abs(samples / rate - seconds) < 0.1
    assert abs(encoded.duration_s - seconds) < 0.1
    assert encoded.sha256 == file_sha256(encoded.video_path)
    assert encoded.bytes == encoded.video_path.stat().st_size
    with Image.open(encoded.poster_path) as poster:
        assert (poster.format, poster.size) == ("JPEG", (512, 512))


def test_moov_atom_is_at_the_front_for_streaming(tmp_path: Path, face_photo: Image.Image) -> None:
    speech = tone(1.0, 22050)
    stream = StillRenderer().render(RenderInput(image=face_photo, speech=speech), NullReporter())
    encoded = encode_mp4(stream, speech, tmp_path / "v.mp4", tmp_path / "p.jpg")
    data = encoded.video_path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):  # MP4 top-level boxes: 4-byte big-endian size, then 4-byte type
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        offset += size
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_wrong_frame_shape_is_refused(tmp_path: Path) -> None:
    speech = tone(0.2, 22050)
    frames = iter([np.zeros((10, 10, 3), np.uint8)] * 5)
    with pytest.raises(ValueError, match="expected"):
        encode_mp4(FrameStream(64, 64, 25, 5, frames), speech, tmp_path / "v.mp4", tmp_path / "p.jpg")


def test_renditions_use_libx264_high_where_no_gpu_encoder_opens(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if encode._open_problem(encode.RENDITION_NVENC) is None:
        pytest.skip("this host can encode with NVENC")
    encode._rendition_encoder.cache_clear()
    monkeypatch.setattr(encode, "_nvidia_driver_present", lambda: False)
    assert encode.rendition_encoder() == encode.RENDITION_X264
    assert encode.RENDITION_X264.options["profile"] == "high"
    assert not caplog.records  # no GPU, nothing to fall back from
    # A host with an NVIDIA driver whose GPU cannot open NVENC (an H100, or none visible) says so.
    monkeypatch.setattr(encode, "_nvidia_driver_present", lambda: True)
    with caplog.at_level("WARNING", logger="gpu_runner.encode"):
        assert encode.rendition_encoder() == encode.RENDITION_X264
    assert (
        "h264_nvenc cannot be opened on this host" in caplog.text and "renditions use libx264" in caplog.text
    )
    encode._rendition_encoder.cache_clear()
