"""A job's scene: the static background of each stretch of the video, where the presenter and captions go.

The runner composes video by pasting the talking head's frames into :attr:`Scene.head_box` over the
background of the current :class:`Segment`, and burned captions into :attr:`Scene.caption_box`. The editor
panel's preview draws the very same scene with a still photo of the presenter (:func:`preview_image`), so
what the editor sees is what the video will show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageOps

from ..protocol import FONTS, LAYOUT_LABELS, Composition, VideoFormat
from .captions import draw_caption
from .fonts import font_chain
from .geometry import Box, Placement, place
from .layers import (
    background,
    card,
    draw_title,
    frame_around,
    ink_on,
    lower_third,
    paste_logo,
    placeholder_presenter,
    product_card,
    reduced,
    rgb,
    set_title,
)
from .text import fallback_notes

# A product picture stays on screen at least this long; with a short script, fewer pictures are shown.
MIN_PICTURE_SECONDS = 3.0
SAMPLE_CAPTION = "Captions appear here, in time with the voice."
CARD_KINDS = ("intro", "outro")
# Where a cover crop of the presenter sits vertically, as a share of what is cut (0.5 would be centred): a
# little above the middle, where a face is. The runner crops the talking head's frames the same way.
FACE_HEIGHT = 0.45


@dataclass(frozen=True)
class SceneAssets:
    """The pictures a scene is drawn from, already decoded (the runner and the plugin each load their own)."""

    # The page's main image first, then its gallery.
    product_images: list[Image.Image] = field(default_factory=list)
    # May have an alpha channel.
    logo: Image.Image | None = None
    # Previews only: the runner pastes the talking head's frames instead.
    presenter: Image.Image | None = None


@dataclass(frozen=True)
class Segment:
    """From ``start_s`` (on the speech's clock: 0 is where the presenter starts speaking) until the next
    segment starts, the frame shows ``background``: brand background, product picture, lower third, logo."""

    start_s: float
    background: Image.Image


@dataclass(frozen=True)
class Scene:
    """Everything static about one format of a job's video."""

    format: VideoFormat
    # The layout actually used (after a fallback).
    layout: str
    head_box: Box
    # ``None`` when captions are not burned in.
    caption_box: Box | None
    # At least one; segment i lasts until segment i+1 starts.
    segments: list[Segment]
    # Plain-words fallbacks, for the job's record.
    notes: list[str]


def fit_head(image: Image.Image, box: Box) -> Image.Image:
    """``image`` cover-cropped to ``box``: no bars, centred across, cut :data:`FACE_HEIGHT` from the top."""
    return ImageOps.fit(
        reduced(image, box.size).convert("RGB"),
        box.size,
        Image.Resampling.LANCZOS,
        centering=(0.5, FACE_HEIGHT),
    )


def _layout_used(composition: Composition, assets: SceneAssets, notes: list[str]) -> str:
    if composition.layout == "presenter_product" and not assets.product_images:
        notes.append(
            f"the page has no product picture: the {LAYOUT_LABELS['presenter']!r} layout was used instead of "
            f"{LAYOUT_LABELS['presenter_product']!r}"
        )
        return "presenter"
    if composition.layout == "social" and not assets.product_images:
        notes.append("the page has no product picture: the social layout shows the presenter alone")
    return composition.layout


def _picture_starts(count: int, speech_s: float) -> list[float]:
    """When each product picture comes on: evenly through the speech, each at least MIN_PICTURE_SECONDS."""
    shown = max(1, min(count, int(max(speech_s, 0.0) // MIN_PICTURE_SECONDS)))
    return [round(index * speech_s / shown, 3) for index in range(shown)]


def _text_notes(composition: Composition, title_shortened: bool, where: str) -> list[str]:
    notes = []
    if title_shortened:
        notes.append(f"the product name was shortened to fit the {where}")
    text = f"{composition.product_name} {composition.product_price}".strip()
    if text:
        notes.extend(fallback_notes(text, font_chain(composition.brand.font), "product name"))
    return notes


def _base(
    fmt: VideoFormat, composition: Composition, placement: Placement, assets: SceneAssets
) -> tuple[Image.Image, bool]:
    """Everything but the product picture: background, presenter frame, lower third, title, logo."""
    image = background(fmt, composition.brand)
    frame_around(image, placement.head, composition.brand)
    shortened = False
    if placement.title is not None and (composition.product_name or composition.product_price):
        if placement.bar is not None:
            ink = lower_third(image, placement.bar, composition.brand)
        else:
            ink = ink_on(rgb(composition.brand.primary_colour), rgb(composition.brand.secondary_colour))
        title = set_title(composition, placement.title, large=placement.layout == "social")
        shortened = bool(title.name and title.name.shortened)
        draw_title(image, placement.title, title, composition.brand.font, ink)
    elif placement.bar is not None:
        lower_third(image, placement.bar, composition.brand)
    if assets.logo is not None:
        paste_logo(image, assets.logo, placement.logo, placement.logo_align)
    return image, shortened


def plan_scene(composition: Composition, fmt: VideoFormat, assets: SceneAssets, speech_s: float) -> Scene:
    """The scene of ``composition`` in ``fmt``: one background per product picture shown.

    Product pictures take turns while the presenter speaks (``speech_s`` seconds), each for an equal share
    and at least :data:`MIN_PICTURE_SECONDS`; a layout that needs a picture the page lacks falls back, and
    every fallback is in :attr:`Scene.notes`.
    """
    notes: list[str] = []
    layout = _layout_used(composition, assets, notes)
    uses_product = layout != "presenter" and bool(assets.product_images)
    placement = place(layout, fmt, with_product=uses_product)
    base, shortened = _base(fmt, composition, placement, assets)
    where = "lower third" if placement.bar is not None else "title area"
    if placement.title is not None:
        notes.extend(_text_notes(composition, shortened, where))
    if composition.brand.font not in FONTS:
        notes.append(f"the font {composition.brand.font!r} is not bundled: Noto Sans was used")
    segments = []
    if uses_product and placement.product is not None:
        starts = _picture_starts(len(assets.product_images), speech_s)
        for start, picture in zip(starts, assets.product_images[: len(starts)], strict=True):
            image = base.copy()
            product_card(image, placement.product, picture, composition.brand)
            segments.append(Segment(start, image))
    else:
        segments.append(Segment(0.0, base))
    return Scene(
        format=fmt,
        layout=layout,
        head_box=placement.head,
        caption_box=placement.caption if composition.burn_captions else None,
        segments=segments,
        notes=notes,
    )


def draw_card(composition: Composition, fmt: VideoFormat, assets: SceneAssets, kind: str) -> Image.Image:
    """The intro (``"intro"``: logo and product name) or outro (``"outro"``: with the price) card, RGB."""
    if kind not in CARD_KINDS:
        raise ValueError(f"unknown card {kind!r}; cards are: {', '.join(CARD_KINDS)}")
    return card(fmt, composition, assets.logo, kind)


def preview_image(
    composition: Composition, fmt: VideoFormat, assets: SceneAssets, sample_caption: str | None = None
) -> Image.Image:
    """What the finished video will look like: the first segment, with the presenter and a caption, RGB.

    Without a presenter photo a silhouette stands in; with captions burned in, ``sample_caption`` (or a
    sample sentence) is drawn where captions go.
    """
    scene = plan_scene(composition, fmt, assets, speech_s=MIN_PICTURE_SECONDS)
    image = scene.segments[0].background.copy()
    box = scene.head_box
    if assets.presenter is not None:
        image.paste(fit_head(assets.presenter, box), (box.x, box.y))
    else:
        placeholder_presenter(image, box, composition.brand)
    if scene.caption_box is not None:
        caption = draw_caption(sample_caption or SAMPLE_CAPTION, scene.caption_box, composition, fmt)
        image.paste(caption, (scene.caption_box.x, scene.caption_box.y), caption)
    return image
