"""Burned-in captions: one cue's text drawn into the caption box as a transparent overlay.

Readable on any background: white letters with a dark outline on a translucent dark plate that hugs the
lines. Lines are wrapped by measured width and centred; text that still does not fit is set smaller, then cut
with an ellipsis, so a caption never leaves its box.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from ..protocol import Composition, VideoFormat
from .fonts import font_chain
from .geometry import Box
from .text import FittedText, draw_block, fallback_notes, fit_text

TEXT = (255, 255, 255, 255)
OUTLINE = (0, 0, 0, 255)
PLATE = (0, 0, 0, 150)
MAX_LINES = 3


def caption_size(composition: Composition, fmt: VideoFormat) -> int:
    """The type size of captions: large for *social*, where the sound is often off."""
    share = 0.062 if composition.layout == "social" else 0.05
    return round(min(fmt.width, fmt.height) * share)


def _inner(box: Box, size: int) -> tuple[Box, int, int]:
    """Where in a caption box the letters may go (inside the plate's padding); the padding; the outline."""
    padding = max(4, round(size * 0.3))
    outline = max(2, size // 16)
    inner = Box(padding + outline, padding, box.width - 2 * (padding + outline), box.height - 2 * padding)
    return inner, padding, outline


def set_caption(text: str, box: Box, composition: Composition, fmt: VideoFormat) -> FittedText:
    """The lines ``text`` is drawn in within ``box``: wrapped, set smaller if need be, cut only as a last
    resort (``shortened``; the caption boxes hold two lines of a WebVTT cue without it)."""
    size = caption_size(composition, fmt)
    inner, _, _ = _inner(box, size)
    return fit_text(
        " ".join(text.split()),
        font_chain(composition.brand.font, bold=True),
        inner.width,
        inner.height,
        size=size,
        min_size=max(8, round(size * 0.5)),
        max_lines=MAX_LINES,
    )


def draw_caption(text: str, box: Box, composition: Composition, fmt: VideoFormat) -> Image.Image:
    """The caption ``text`` as an RGBA image of ``box``'s size, to lay over the frame at ``box``.

    Transparent where there is no caption; the lines sit at the bottom of the box, centred.
    """
    overlay = Image.new("RGBA", box.size, (0, 0, 0, 0))
    if not text.strip():
        return overlay
    fitted = set_caption(text, box, composition, fmt)
    inner, padding, outline = _inner(box, caption_size(composition, fmt))
    chain = font_chain(composition.brand.font, bold=True)
    # The plate is drawn after measuring, on its own layer, so the outline is not dimmed by it.
    plate = Image.new("RGBA", box.size, (0, 0, 0, 0))
    letters = Image.new("RGBA", box.size, (0, 0, 0, 0))
    used = draw_block(
        ImageDraw.Draw(letters),
        inner,
        fitted,
        chain,
        TEXT,
        align="center",
        valign="bottom",
        stroke_width=outline,
        stroke_fill=OUTLINE,
    )
    ImageDraw.Draw(plate).rounded_rectangle(
        (
            max(0, used.x - padding),
            max(0, used.y - padding // 2),
            min(box.width - 1, used.right + padding),
            min(box.height - 1, used.bottom + padding // 2),
        ),
        radius=padding,
        fill=PLATE,
    )
    overlay.alpha_composite(plate)
    overlay.alpha_composite(letters)
    return overlay


def caption_notes(texts: list[str], composition: Composition) -> list[str]:
    """Plain-words notes on the fonts the captions needed beyond the brand's own (one per fallback font)."""
    return fallback_notes(" ".join(texts), font_chain(composition.brand.font, bold=True), "captions")
