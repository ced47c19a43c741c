"""MP4 encoding with PyAV: H.264 video as frames stream in, AAC audio interleaved by time, a JPEG poster.

Frames are encoded as they are produced, so a long video is never held in memory; audio is interleaved with
the video by timestamp so the muxer never buffers more than a frame's worth of either. The talking head
(:func:`encode_mp4`) and every composed rendition (``gpu_runner.compose``) are written by one
:class:`Mp4Writer`, each with its :class:`VideoEncoder`.
"""

from __future__ import annotations

import functools
import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from PIL import Image

from .checksums import file_sha256
from .compose.planes import Overlay, Region, YuvPicture
from .protocol import Disclosure
from .renderers.base import FrameStream, Speech
from .scene.disclosure import draw_label

logger = logging.getLogger(__name__)

AUDIO_FRAME_SAMPLES = 1024  # the AAC encoder's frame size
POSTER_AT_S = 1.0
POSTER_QUALITY = 88
VIDEO_CRF = "20"

# swscale turns RGB into YUV with the BT.601 matrix and limited range unless told otherwise; renditions say so
# in the stream (AVColorSpace SMPTE170M, AVColorRange MPEG) so that players convert back with the same matrix.
# Primaries and transfer are sRGB's, which are BT.709's.
COLORSPACE_BT601 = 6
COLOR_RANGE_LIMITED = 1
COLOR_PRIMARIES_BT709 = 1
COLOR_TRC_BT709 = 1


@dataclass(frozen=True)
class VideoEncoder:
    """An H.264 encoder (``libx264`` or a GPU's, e.g. ``h264_nvenc``) and the options it runs with."""

    codec: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def preset(self) -> str:
        return self.options.get("preset", "")

    @property
    def quality(self) -> str:
        """The constant-quality setting: x264's CRF, or NVENC's CQ."""
        return self.options.get("crf") or self.options.get("cq", "")


# The talking head is an intermediate (compositions are made from it) as well as a video of its own, so it is
# kept a little better than a rendition needs.
TALKING_HEAD_ENCODER = VideoEncoder("libx264", {"crf": VIDEO_CRF, "preset": "veryfast"})
# Chosen by measuring on the 2-core development host (``python -m gpu_runner bench compose``): superfast costs
# about 12 ms of CPU per 1080p frame against veryfast's 18, and ultrafast's 8 makes files seven times larger.
# At CRF 23 the presenter's box is 45 dB PSNR from a lossless encode of the same frames (the whole frame
# 48 dB), at 4 to 6 MB a minute.
RENDITION_X264 = VideoEncoder("libx264", {"crf": "23", "preset": "superfast", "profile": "high"})
RENDITION_NVENC = VideoEncoder("h264_nvenc", {"preset": "p4", "rc": "vbr", "cq": "23", "profile": "high"})


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
    #: the talking head without the AI label, to compose finished formats from (the video itself when it has
    #: no label)
    head_path: Path | None = None

    @property
    def composable_path(self) -> Path:
        """The file finished formats are composed from: the head without the label."""
        return self.head_path or self.video_path


class Mp4Writer:
    """A faststart MP4 being written: H.264 frames in order, the whole audio track muxed alongside.

    ``samples`` (mono float32) are known up front; after each video frame, the audio up to that frame's end is
    encoded, so both streams advance together. Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        path: Path,
        *,
        width: int,
        height: int,
        fps: int,
        encoder: VideoEncoder,
        samples: np.ndarray,
        sample_rate: int,
        tag_colours: bool = False,
    ) -> None:
        self.path, self.width, self.height, self.fps = path, width, height, fps
        self.frames = 0
        self._samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
        self._sample_rate = sample_rate
        self._audio_written = 0
        self._container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
        try:
            self._video = self._container.add_stream(encoder.codec, rate=fps)
            self._video.width, self._video.height, self._video.pix_fmt = width, height, "yuv420p"
            self._video.options = dict(encoder.options)
            if tag_colours:
                context = self._video.codec_context
                context.colorspace, context.color_range = COLORSPACE_BT601, COLOR_RANGE_LIMITED
                context.color_primaries, context.color_trc = COLOR_PRIMARIES_BT709, COLOR_TRC_BT709
            self._audio = self._container.add_stream("aac", rate=sample_rate)
            self._audio.layout = "mono"
        except BaseException:
            self._container.close()
            raise

    def write(self, frame: av.VideoFrame) -> None:
        """Encode the next video frame (any format; the encoder's stream converts it to yuv420p)."""
        frame.pts = self.frames
        frame.time_base = Fraction(1, self.fps)
        self._container.mux(self._video.encode(frame))
        self.frames += 1
        until = min(self._samples.shape[1], -(-self.frames * self._sample_rate // self.fps))
        self._mux_audio(until)

    def close(self) -> None:
        """Encode the rest of the audio, flush both encoders and finish the file."""
        try:
            self._mux_audio(self._samples.shape[1])
            self._container.mux(self._video.encode(None))
            self._container.mux(self._audio.encode(None))
        finally:
            self._container.close()

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._container.close()

    def _mux_audio(self, end: int) -> None:
        """Encode whole AAC frames of the samples up to ``end`` (the tail too once ``end`` is the last)."""
        total = self._samples.shape[1]
        start = self._audio_written
        while start < end and (end - start >= AUDIO_FRAME_SAMPLES or end == total):
            stop = min(start + AUDIO_FRAME_SAMPLES, end)
            frame = av.AudioFrame.from_ndarray(
                self._samples[:, start:stop].copy(), format="fltp", layout="mono"
            )
            frame.sample_rate = self._sample_rate
            frame.pts = start
            frame.time_base = Fraction(1, self._sample_rate)
            self._container.mux(self._audio.encode(frame))
            start = stop
        self._audio_written = start


def encode_mp4(
    stream: FrameStream,
    speech: Speech,
    video_path: Path,
    poster_path: Path,
    disclosure: Disclosure | None = None,
) -> EncodedVideo:
    """Encode ``stream`` with ``speech`` into ``video_path`` (faststart MP4) and save a poster JPEG.

    The poster is the frame at :data:`POSTER_AT_S` (or the last one, for shorter clips). ``disclosure`` is the
    visible AI label laid over every frame, poster included (drawn once, blended per frame over its box
    only); ``None`` or disabled draws none. With a label, the frames are also written without it to
    :attr:`EncodedVideo.head_path` (``{stem}.head.mp4`` beside the video): finished formats are composed from
    that one and draw their own label, so the head's would otherwise show twice. Raises ``ValueError`` when
    the stream yields a frame of the wrong shape.
    """
    poster_index = min(stream.frame_count - 1, round(POSTER_AT_S * stream.fps))
    poster: Image.Image | None = None
    overlay = _label_overlay(disclosure, stream.width, stream.height)
    head_path = video_path.with_name(f"{video_path.stem}.head.mp4") if overlay is not None else video_path

    def writer_to(path: Path) -> Mp4Writer:
        return Mp4Writer(
            path,
            width=stream.width,
            height=stream.height,
            fps=stream.fps,
            encoder=TALKING_HEAD_ENCODER,
            samples=speech.samples,
            sample_rate=speech.sample_rate,
        )

    with ExitStack() as writers:
        writer = writers.enter_context(writer_to(video_path))
        head_writer = writers.enter_context(writer_to(head_path)) if overlay is not None else None
        for frame in stream.frames:
            if frame.shape != (stream.height, stream.width, 3):
                raise ValueError(
                    f"renderer yielded a {frame.shape} frame; expected {(stream.height, stream.width, 3)}"
                )
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            if overlay is not None and head_writer is not None:
                head_writer.write(video_frame)
                # Blended in the encoder's own yuv420p (the conversion the encoder makes anyway), on a copy.
                picture = YuvPicture.from_video_frame(video_frame.reformat(format="yuv420p"))
                overlay.blend_onto(picture)
                video_frame = picture.to_video_frame()
            if writer.frames == poster_index:
                poster = video_frame.to_image()
            writer.write(video_frame)
    if poster is None:
        raise ValueError(f"renderer yielded {writer.frames} frames; expected {stream.frame_count}")
    poster.save(poster_path, format="JPEG", quality=POSTER_QUALITY)
    return EncodedVideo(
        video_path=video_path,
        poster_path=poster_path,
        duration_s=round(max(writer.frames / stream.fps, speech.duration_s), 3),
        width=stream.width,
        height=stream.height,
        frames=writer.frames,
        bytes=video_path.stat().st_size,
        sha256=file_sha256(video_path),
        head_path=head_path,
    )


def _label_overlay(disclosure: Disclosure | None, width: int, height: int) -> Overlay | None:
    """The AI label of a plain (not composed) video, ready to blend: the whole frame is its safe area."""
    label = draw_label(disclosure, width, height) if disclosure is not None else None
    if label is None:
        return None
    box = label.box
    return Overlay(label.picture, Region.snapped(box.x, box.y, box.width, box.height, width, height))


def rendition_encoder() -> VideoEncoder:
    """The encoder for composed renditions: the GPU's NVENC where this host can open it, else libx264.

    Decided once per process. A host with an NVIDIA driver whose GPU has no NVENC (data-centre parts such as
    the H100 have none) falls back to libx264, and says so in the log.
    """
    return _rendition_encoder(_nvidia_driver_present())


@functools.cache
def _rendition_encoder(nvidia_driver: bool) -> VideoEncoder:
    if not nvidia_driver:
        return RENDITION_X264
    problem = _open_problem(RENDITION_NVENC)
    if problem is None:
        logger.info("renditions are encoded on the GPU with h264_nvenc")
        return RENDITION_NVENC
    logger.warning("h264_nvenc cannot be opened on this host (%s); renditions use libx264", problem)
    return RENDITION_X264


def _nvidia_driver_present() -> bool:
    # The driver's control device exists on every host (and container) that can reach an NVIDIA GPU.
    return Path("/dev/nvidiactl").exists()


def _open_problem(encoder: VideoEncoder) -> str | None:
    """Why ``encoder`` cannot encode a small frame here, or ``None`` when it can."""
    try:
        context = av.CodecContext.create(encoder.codec, "w")
        context.width, context.height, context.pix_fmt = 256, 256, "yuv420p"
        context.time_base = Fraction(1, 25)
        context.options = dict(encoder.options)
        context.open()
        frame = av.VideoFrame(256, 256, "yuv420p")
        frame.pts = 0
        context.encode(frame)
        context.encode(None)
    except (av.FFmpegError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
