"""MP4 encoding with PyAV: H.264 video as frames stream in, AAC audio of exactly the speech, a JPEG poster.

Frames are encoded as the renderer yields them, so a long video is never held in memory; audio is interleaved
with the video by timestamp so the muxer never buffers more than a frame's worth of either.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from .checksums import file_sha256
from .renderers.base import FrameStream, Speech

AUDIO_FRAME_SAMPLES = 1024  # the AAC encoder's frame size
POSTER_AT_S = 1.0
POSTER_QUALITY = 88
VIDEO_CRF = "20"


@dataclass(frozen=True)
class EncodedVideo:
    """An encoded MP4 and its poster on local disk, with the facts the job result reports."""

    video_path: Path
    poster_path: Path
    duration_s: float
    width: int
    height: int
    frames: int
    bytes: int
    sha256: str


def encode_mp4(stream: FrameStream, speech: Speech, video_path: Path, poster_path: Path) -> EncodedVideo:
    """Encode ``stream`` with ``speech`` into ``video_path`` (faststart MP4) and save a poster JPEG.

    The poster is the frame at :data:`POSTER_AT_S` (or the last one, for shorter clips). Raises ``ValueError``
    when the stream yields a frame of the wrong shape.
    """
    poster_index = min(stream.frame_count - 1, round(POSTER_AT_S * stream.fps))
    samples = np.ascontiguousarray(speech.samples, dtype=np.float32).reshape(1, -1)
    frames_written = 0
    audio_written = 0
    poster: np.ndarray | None = None
    with av.open(str(video_path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=stream.fps)
        video.width, video.height, video.pix_fmt = stream.width, stream.height, "yuv420p"
        video.options = {"crf": VIDEO_CRF, "preset": "veryfast"}
        audio = container.add_stream("aac", rate=speech.sample_rate)
        audio.layout = "mono"
        for frame in stream.frames:
            if frame.shape != (stream.height, stream.width, 3):
                raise ValueError(
                    f"renderer yielded a {frame.shape} frame; expected {(stream.height, stream.width, 3)}"
                )
            if frames_written == poster_index:
                poster = frame
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            video_frame.pts = frames_written
            video_frame.time_base = Fraction(1, stream.fps)
            container.mux(video.encode(video_frame))
            frames_written += 1
            # Audio up to the end of this frame's time, so the two streams advance together.
            until = min(samples.shape[1], -(-frames_written * speech.sample_rate // stream.fps))
            audio_written = _mux_audio(container, audio, samples, audio_written, until, speech.sample_rate)
        _mux_audio(container, audio, samples, audio_written, samples.shape[1], speech.sample_rate)
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    if poster is None:
        raise ValueError(f"renderer yielded {frames_written} frames; expected {stream.frame_count}")
    Image.fromarray(poster).save(poster_path, format="JPEG", quality=POSTER_QUALITY)
    return EncodedVideo(
        video_path=video_path,
        poster_path=poster_path,
        duration_s=round(max(frames_written / stream.fps, speech.duration_s), 3),
        width=stream.width,
        height=stream.height,
        frames=frames_written,
        bytes=video_path.stat().st_size,
        sha256=file_sha256(video_path),
    )


def _mux_audio(
    container: av.container.OutputContainer,
    audio: av.audio.stream.AudioStream,
    samples: np.ndarray,
    start: int,
    end: int,
    sample_rate: int,
) -> int:
    """Encode whole AAC frames of ``samples[start:end]`` (the tail too once ``end`` is the last sample)."""
    total = samples.shape[1]
    while start < end and (end - start >= AUDIO_FRAME_SAMPLES or end == total):
        stop = min(start + AUDIO_FRAME_SAMPLES, end)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples[:, start:stop]), format="fltp", layout="mono"
        )
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        container.mux(audio.encode(frame))
        start = stop
    return start
