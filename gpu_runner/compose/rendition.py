"""One finished video of one format: the intro card, the talking head on its scene, the outro card, encoded.

The static layers of each scene segment (background, logo, product picture, lower third) arrive as one
picture and are converted to yuv420p once. Per frame, only the head's box is written (a talking-head frame
decoded and scaled by swscale, :mod:`.head`) and, where the head's box and the caption's box overlap, the
caption blended again; a caption is otherwise blended into the segment's picture once per cue. The encoder
then takes the yuv420p planes as they are.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ..captions import Cue, cue_at
from ..checksums import file_sha256
from ..encode import POSTER_AT_S, POSTER_QUALITY, Mp4Writer, VideoEncoder
from ..protocol import Rendition, poster_key
from .head import head_frames
from .planes import Overlay, Planes, Region, YuvPicture
from .sound import FinishedSound, card_frames, frame_count

if TYPE_CHECKING:
    from ..protocol import VideoFormat
    from ..scene import Box, Scene
    from ..scene.disclosure import Label

# How often (in frames) the caller hears of progress: one second of video.
PROGRESS_EVERY = 25


@dataclass(frozen=True)
class Card:
    """A full-frame still shown before or after the presenter (an intro or outro card)."""

    picture: Image.Image
    seconds: float


@dataclass(frozen=True)
class ComposedRendition:
    """One format's MP4 and poster on local disk, and the record the job reports for it."""

    record: Rendition
    video_path: Path
    poster_path: Path
    frames: int
    #: wall-clock seconds spent composing and encoding it
    seconds: float
    #: CPU seconds the process spent on it, every thread counted (the encoder's too): the cost under load
    cpu_seconds: float

    @property
    def format(self) -> str:
        return self.record.format


def compose_rendition(
    scene: Scene,
    head_video: Path,
    sound: FinishedSound,
    folder: Path,
    *,
    key: str,
    fps: int,
    encoder: VideoEncoder,
    cues: Sequence[Cue] = (),
    draw_caption: Callable[[str], Image.Image] | None = None,
    intro: Card | None = None,
    outro: Card | None = None,
    label: Label | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> ComposedRendition:
    """Compose and encode ``scene``'s format into ``folder``: ``{format}.mp4`` and ``{format}.jpg``, to be
    stored at ``key`` (its poster at :func:`~gpu_runner.protocol.poster_key` of it).

    The video has exactly :func:`~.sound.frame_count` frames of ``sound``: the intro card's, the head's
    (speech time 0 is the first of them; the last head frame holds if the sound outlasts the head), then the
    outro card's. ``draw_caption`` (text → picture of the caption box) burns in the cue of each moment;
    ``None`` burns in nothing. ``label`` (the AI disclosure, :mod:`gpu_runner.scene.disclosure`) lies over
    every frame, cards included, above the captions. ``on_progress`` hears the fraction done once a second of
    video.
    """
    started, started_cpu = time.perf_counter(), time.process_time()
    fmt = scene.format
    width, height = fmt.width, fmt.height
    total = frame_count(sound.duration_s, fps)
    intro_n = min(total, card_frames(intro.seconds, fps)) if intro else 0
    outro_n = min(total - intro_n, card_frames(outro.seconds, fps)) if outro else 0
    head_n = total - intro_n - outro_n
    poster_at = intro_n + min(max(0, head_n - 1), round(POSTER_AT_S * fps)) if head_n else 0

    head_box = _region(scene.head_box, fmt)
    caption_box = _region(scene.caption_box, fmt) if scene.caption_box and draw_caption else None
    overlap = caption_box.intersection(head_box) if caption_box else None
    # The label is blended into each static picture once, and again per frame only where the head covers it.
    disclosure = Overlay(label.picture, _region(label.box, fmt)) if label else None
    disclosure_on_head = disclosure.region.intersection(head_box) if disclosure else None
    backgrounds: dict[int, YuvPicture] = {}
    overlays: dict[Cue, Overlay] = {}
    segment_starts = [segment.start_s for segment in scene.segments]

    canvas = YuvPicture(width, height)
    poster: Image.Image | None = None
    video_path, poster_path = folder / f"{fmt.name}.mp4", folder / f"{fmt.name}.jpg"
    with (
        Mp4Writer(
            video_path,
            width=width,
            height=height,
            fps=fps,
            encoder=encoder,
            samples=sound.samples,
            sample_rate=sound.sample_rate,
            tag_colours=True,
        ) as writer,
        closing(head_frames(head_video, head_box)) as heads,
    ):

        def emit(picture: YuvPicture) -> None:
            nonlocal poster
            if writer.frames == poster_at:
                poster = picture.to_image()
            writer.write(picture.to_video_frame())
            if on_progress and writer.frames % PROGRESS_EVERY == 0:
                on_progress(writer.frames / total)

        if intro_n:
            card = _card_picture(intro, fmt, disclosure)
            for _ in range(intro_n):
                emit(card)

        showing: tuple[int, Cue | None] | None = None
        overlay: Overlay | None = None
        head: Planes | None = None
        for index in range(head_n):
            moment = index / fps
            segment = max(0, bisect.bisect_right(segment_starts, moment) - 1)
            cue = cue_at(cues, moment) if caption_box else None
            if (segment, cue) != showing:
                # A new segment or cue: the static layers and the caption are drawn into the canvas once.
                if segment not in backgrounds:
                    backgrounds[segment] = YuvPicture.from_image(
                        _full_frame(scene.segments[segment].background, fmt)
                    )
                canvas.copy_from(backgrounds[segment])
                overlay = None
                if cue is not None and caption_box is not None and draw_caption is not None:
                    if cue not in overlays:
                        overlays[cue] = Overlay(draw_caption(cue.text), caption_box)
                    overlay = overlays[cue]
                    overlay.blend_onto(canvas)
                if disclosure is not None:
                    disclosure.blend_onto(canvas)
                showing = (segment, cue)
            # The sound may outlast the head by a frame's rounding: the last head frame holds.
            head = next(heads, head)
            if head is not None:
                canvas.paste(head_box, head)
                if overlay is not None and overlap is not None:
                    overlay.blend_onto(canvas, within=overlap)
                if disclosure is not None and disclosure_on_head is not None:
                    disclosure.blend_onto(canvas, within=disclosure_on_head)
            emit(canvas)

        if outro_n:
            card = _card_picture(outro, fmt, disclosure)
            for _ in range(outro_n):
                emit(card)

    assert poster is not None  # a video has at least one frame, and poster_at is one of them
    poster.save(poster_path, format="JPEG", quality=POSTER_QUALITY)
    record = Rendition(
        format=fmt.name,
        key=key,
        poster_key=poster_key(key),
        width=width,
        height=height,
        duration_s=round(writer.frames / fps, 3),
        bytes=video_path.stat().st_size,
        sha256=file_sha256(video_path),
        layout=scene.layout,
        captions_burned=caption_box is not None and bool(cues),
        encoder=encoder.codec,
    )
    seconds = round(time.perf_counter() - started, 3)
    cpu_seconds = round(time.process_time() - started_cpu, 3)
    return ComposedRendition(record, video_path, poster_path, writer.frames, seconds, cpu_seconds)


def _region(box: Box, fmt: VideoFormat) -> Region:
    return Region.snapped(box.x, box.y, box.width, box.height, fmt.width, fmt.height)


def _card_picture(card: Card, fmt: VideoFormat, disclosure: Overlay | None) -> YuvPicture:
    """An intro or outro card as the encoder takes it, with the label over it."""
    picture = YuvPicture.from_image(_full_frame(card.picture, fmt))
    if disclosure is not None:
        disclosure.blend_onto(picture)
    return picture


def _full_frame(picture: Image.Image, fmt: VideoFormat) -> Image.Image:
    if picture.size != (fmt.width, fmt.height):
        raise ValueError(
            f"a {fmt.name} frame is {fmt.width}×{fmt.height}, not {picture.width}×{picture.height}"
        )
    return picture
