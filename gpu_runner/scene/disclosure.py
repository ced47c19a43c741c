"""The visible "AI-generated" label (EU AI Act, Article 50(4)): a small rounded plate in a frame's corner.

Drawn here once per frame size, as an RGBA picture and the box it goes in; the runner lays that picture over
every frame of every video (the composed formats in :mod:`gpu_runner.compose.rendition`, the plain talking
head in :func:`gpu_runner.encode.encode_mp4`), and the editor's preview pastes the same picture, so the label
is never re-drawn per frame and looks the same everywhere.

Readable on any picture: white letters on a near-opaque dark plate (contrast above 12:1 against the plate
whatever lies under it). The wording is set in the brand's font through the scene's font chain, so Japanese,
Arabic or Hebrew wording is drawn by a font that has its characters. The label keeps to the layout's safe
area (the *social* layout's leaves the apps' own buttons and bars clear).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from ..protocol import DEFAULT_FONT, Disclosure, VideoFormat
from .fonts import font_chain
from .geometry import Box, place
from .text import draw_block, fit_text, measure

TEXT = (255, 255, 255, 255)
PLATE = (16, 16, 16, 220)
# The type size as a share of the frame's shorter side, and never smaller than this many pixels.
SIZE_SHARE = 0.03
MIN_SIZE = 12
# The label takes at most this share of the safe area's width; longer wording wraps onto a second line.
MAX_WIDTH_SHARE = 0.6
MAX_LINES = 2


@dataclass(frozen=True)
class Label:
    """The label's picture (RGBA, transparent around the plate) and the box of the frame it goes in."""

    picture: Image.Image
    box: Box


def label_size(width: int, height: int) -> int:
    """The label's type size in a ``width`` × ``height`` frame: small, but readable on a phone."""
    return max(MIN_SIZE, round(min(width, height) * SIZE_SHARE))


def draw_label(
    disclosure: Disclosure,
    width: int,
    height: int,
    *,
    safe: Box | None = None,
    font: str = DEFAULT_FONT,
) -> Label | None:
    """The label ``disclosure`` asks for in a ``width`` × ``height`` frame, or ``None`` when it is turned off.

    The plate sits in the corner ``disclosure.position`` names, a margin inside ``safe`` (the layout's safe
    area; the whole frame by default). Its box has even coordinates and size, for yuv420p's chroma grid.
    """
    if not disclosure.enabled:
        return None
    safe = safe or Box(0, 0, width, height)
    size = label_size(width, height)
    padding_x, padding_y = max(4, round(size * 0.5)), max(2, round(size * 0.22))
    margin = max(4, round(min(width, height) * 0.025))
    chain = font_chain(font, bold=True)
    room = int(safe.width * MAX_WIDTH_SHARE) - 2 * padding_x
    fitted = fit_text(
        " ".join(disclosure.text.split()),
        chain,
        room,
        safe.height,
        size=size,
        min_size=max(8, round(size * 0.75)),
        max_lines=MAX_LINES,
    )
    text_width = max(measure(line, chain, fitted.size) for line in fitted.lines)
    plate_w = _even(text_width + 2 * padding_x)
    plate_h = _even(fitted.height + 2 * padding_y)
    left = safe.x + margin if disclosure.position.endswith("left") else safe.right - margin - plate_w
    top = safe.y + margin if disclosure.position.startswith("top") else safe.bottom - margin - plate_h
    box = Box(_even(left), _even(top), plate_w, plate_h)

    picture = Image.new("RGBA", box.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((0, 0, plate_w - 1, plate_h - 1), radius=round(plate_h * 0.3), fill=PLATE)
    inner = Box(padding_x, padding_y, plate_w - 2 * padding_x, plate_h - 2 * padding_y)
    draw_block(draw, inner, fitted, chain, TEXT, align="center", valign="middle")
    return Label(picture, box)


def layout_label(
    disclosure: Disclosure, fmt: VideoFormat, layout: str, font: str, *, with_product: bool = True
) -> Label | None:
    """The label of a finished video of ``layout`` in ``fmt``: inside that layout's safe area, in ``font``.

    It stays clear of the logo and of the product name (or the lower third holding them): a label in their
    corner moves past them, down from a top corner or up from a bottom one, as long as it still fits the safe
    area. ``with_product`` is whether the scene shows a product picture (the social layout then places its
    logo otherwise).
    """
    placement = place(layout, fmt, with_product=with_product)
    label = draw_label(disclosure, fmt.width, fmt.height, safe=placement.safe, font=font)
    if label is None:
        return None
    obstacles = [box for box in (placement.logo, placement.bar or placement.title) if box is not None]
    return Label(
        label.picture, _clear_of(label.box, obstacles, placement.safe, downwards=label.box.y < fmt.height / 2)
    )


def paste_label(image: Image.Image, label: Label | None) -> Image.Image:
    """``image`` with ``label`` laid over it, in place (a still such as the editor's preview); returned."""
    if label is not None:
        image.paste(label.picture, (label.box.x, label.box.y), label.picture)
    return image


def _clear_of(box: Box, obstacles: list[Box], safe: Box, *, downwards: bool) -> Box:
    """``box`` moved down (or up) past every obstacle it overlaps; unmoved if it would leave ``safe``."""
    gap = max(4, box.height // 4)
    moved = box
    for _ in range(len(obstacles)):
        hit = next((obstacle for obstacle in obstacles if _overlap(moved, obstacle)), None)
        if hit is None:
            break
        top = hit.bottom + gap if downwards else hit.y - gap - box.height
        moved = Box(box.x, _even(top), box.width, box.height)
    if not safe.contains(moved) or any(_overlap(moved, obstacle) for obstacle in obstacles):
        return box
    return moved


def _overlap(first: Box, second: Box) -> bool:
    return (
        first.x < second.right
        and second.x < first.right
        and first.y < second.bottom
        and second.y < first.bottom
    )


def _even(value: float) -> int:
    number = int(round(value))
    return number + (number % 2)
