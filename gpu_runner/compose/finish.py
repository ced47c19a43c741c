"""A job's finished videos: one sound, then every requested format composed from the one rendered head.

The talking head is the expensive part, so it is rendered once, at the renderer's own size, and encoded as the
job's main video. Each format is then composed from that file (:mod:`.rendition`): its scene is planned for
the format (:func:`gpu_runner.scene.plan_scene`), the intro and outro cards and the burned-in captions are
drawn once, and the head is scaled into its box frame by frame; the AI label
(:mod:`gpu_runner.scene.disclosure`) lies over every frame. All formats share one finished sound (the voice at
the composition's loudness target, the brand's music under it) and one set of caption cues, the same cues as
the WebVTT file's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ..captions import caption_cues, webvtt_of
from ..encode import VideoEncoder, rendition_encoder
from ..protocol import FORMATS, Composition, Disclosure, VideoFormat, rendition_key
from ..renderers.base import Speech, StageReporter
from ..scene import Box, SceneAssets, caption_notes, draw_caption, draw_card, plan_scene
from ..scene.disclosure import layout_label
from ..storage import Storage
from ..tts.base import Timing
from .assets import read_assets
from .rendition import Card, ComposedRendition, compose_rendition
from .sound import FinishedSound, card_frames, finish_sound


@dataclass(frozen=True)
class FinishedVideos:
    """Every format's rendition on local disk, the sound they share, their captions, and notes for the job."""

    renditions: list[ComposedRendition]
    sound: FinishedSound
    #: the renditions' WebVTT: the main video's cues, later by the intro card's length
    captions_path: Path
    #: plain words on what was left out or done otherwise (logo, pictures, music, layout, fonts)
    notes: list[str]

    @property
    def records(self) -> list[dict[str, Any]]:
        """Each rendition's :class:`~gpu_runner.protocol.Rendition` as the job result carries it."""
        return [dataclasses.asdict(composed.record) for composed in self.renditions]

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent composing and encoding each format, as ``compose.{format}``."""
        return {f"compose.{rendition.format}": rendition.seconds for rendition in self.renditions}


def compose_finished_videos(
    composition: Composition,
    *,
    output_key: str,
    storage: Storage,
    presenter: Image.Image,
    head_video: Path,
    speech: Speech,
    script: str,
    timings: Sequence[Timing],
    fps: int,
    folder: Path,
    reporter: StageReporter,
    encoder: VideoEncoder | None = None,
    disclosure: Disclosure | None = None,
    language: str = "",
) -> FinishedVideos:
    """Compose every format of ``composition`` from ``head_video`` (the rendered head, speech from frame 0),
    each to be stored beside the main video ``output_key`` (:func:`~gpu_runner.protocol.rendition_key`).

    ``script`` and ``timings`` are what the voice said and when (the engine's own timings, or none to spread
    them), for the captions. Reports progress through ``reporter`` and checks for cancellation once a second
    of video. ``disclosure`` is the visible AI label laid over every frame of every format, inside the
    layout's safe area, in the brand's font (``None`` or disabled: no label). ``language`` is the captions'
    language tag (the voice's). Raises
    :class:`~gpu_runner.storage.StorageUnreachable` when the assets cannot be read.
    """
    encoder = encoder or rendition_encoder()
    brand = composition.brand
    assets = read_assets(composition, storage)
    notes = list(assets.notes)
    sound = finish_sound(
        speech,
        target_lufs=composition.loudness_target,
        fps=fps,
        intro_s=brand.intro_s,
        outro_s=brand.outro_s,
        music=assets.music,
    )
    notes += sound.notes
    cues = caption_cues(script, timings, speech.duration_s)
    if composition.burn_captions:
        notes += caption_notes([cue.text for cue in cues], composition)
    scene_assets = SceneAssets(product_images=assets.product_images, logo=assets.logo, presenter=presenter)

    renditions: list[ComposedRendition] = []
    for number, name in enumerate(composition.formats):
        fmt = FORMATS[name]
        scene = plan_scene(composition, fmt, scene_assets, speech.duration_s)
        notes += scene.notes
        box = scene.caption_box
        burn = composition.burn_captions and box is not None
        label = (
            layout_label(
                disclosure, fmt, scene.layout, brand.font, with_product=bool(scene_assets.product_images)
            )
            if disclosure is not None
            else None
        )

        def caption(text: str, box: Box | None = box, fmt: VideoFormat = fmt) -> Image.Image:
            return draw_caption(text, box, composition, fmt)

        def progress(fraction: float, number: int = number) -> None:
            reporter.progress((number + fraction) / len(composition.formats))
            reporter.check_cancelled()

        renditions.append(
            compose_rendition(
                scene,
                head_video,
                sound,
                folder,
                key=rendition_key(output_key, name),
                fps=fps,
                encoder=encoder,
                cues=cues,
                draw_caption=caption if burn else None,
                intro=_card(composition, fmt, scene_assets, "intro", brand.intro_s),
                outro=_card(composition, fmt, scene_assets, "outro", brand.outro_s),
                label=label,
                on_progress=progress,
            )
        )
    captions_path = folder / "renditions.vtt"
    offset_s = card_frames(brand.intro_s, fps) / fps
    captions_path.write_text(webvtt_of(cues, offset_s=offset_s, language=language), encoding="utf-8")
    # The same note from every format's scene (a layout fallback, a font fallback) is said once.
    return FinishedVideos(renditions, sound, captions_path, list(dict.fromkeys(notes)))


def _card(
    composition: Composition, fmt: VideoFormat, assets: SceneAssets, kind: str, seconds: float
) -> Card | None:
    if seconds <= 0:
        return None
    return Card(draw_card(composition, fmt, assets, kind), seconds)
