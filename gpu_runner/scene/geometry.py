"""Where each thing sits in each layout and format: pure arithmetic on the frame's size, no drawing.

Every box has even coordinates and sizes, so a picture pasted into it lines up with yuv420p's 2×2 chroma
blocks. Layouts adapt to the frame's orientation rather than to the three named formats, so a frame of any
size gets a sensible placement; the named formats of :data:`~gpu_runner.protocol.FORMATS` are the ones tested.

The *social* layout keeps all text, the logo and the captions inside the area that short-video apps leave
clear of their own interface (:data:`SOCIAL_SAFE_MARGINS`): the top 14 % of the frame (status bar, tabs,
search), the bottom 20 % (caption, music ticker, navigation bar), the right 12 % (like, comment and share
buttons) and a 6 % margin on the left. Those are a little more generous than what TikTok, Instagram Reels and
YouTube Shorts document, so one placement suits all three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..protocol import LAYOUTS, VideoFormat


@dataclass(frozen=True)
class Box:
    """A rectangle in frame pixels; even numbers throughout (yuv420p alignment)."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def even(cls, x: float, y: float, width: float, height: float) -> Box:
        """A box rounded to even pixels that never grows past the rectangle it was given."""
        left, top = _even_up(x), _even_up(y)
        return cls(left, top, max(2, _even_down(x + width) - left), max(2, _even_down(y + height) - top))

    @classmethod
    def around(cls, left: float, top: float, right: float, bottom: float) -> Box:
        """The smallest box (not rounded to even) holding the given edges."""
        return cls(int(left), int(top), int(round(right - int(left))), int(round(bottom - int(top))))

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def inset(self, dx: float, dy: float | None = None) -> Box:
        """This box shrunk by ``dx`` on the left and right and ``dy`` (default ``dx``) on top and bottom."""
        dy = dx if dy is None else dy
        return Box.even(self.x + dx, self.y + dy, self.width - 2 * dx, self.height - 2 * dy)


def _even_up(value: float) -> int:
    number = math.ceil(round(value, 6))
    return number + (number % 2)


def _even_down(value: float) -> int:
    number = math.floor(round(value, 6))
    return number - (number % 2)


@dataclass(frozen=True)
class Margins:
    """Fractions of the frame kept clear on each side."""

    top: float
    bottom: float
    left: float
    right: float

    def area(self, width: int, height: int) -> Box:
        return Box.even(
            width * self.left,
            height * self.top,
            width * (1 - self.left - self.right),
            height * (1 - self.top - self.bottom),
        )


SOCIAL_SAFE_MARGINS = Margins(top=0.14, bottom=0.20, left=0.06, right=0.12)


@dataclass(frozen=True)
class Placement:
    """The boxes of one layout in one format.

    ``logo`` is the box the logo is fitted into (keeping its shape), aligned to ``logo_align``; ``title``
    holds the product name and price, on ``bar`` (a lower third drawn in the secondary colour) when there is
    one; ``safe`` is the area text must stay in.
    """

    layout: str
    head: Box
    product: Box | None
    logo: Box
    logo_align: str
    title: Box | None
    bar: Box | None
    caption: Box
    safe: Box


def orientation(fmt: VideoFormat) -> str:
    if fmt.width > fmt.height:
        return "landscape"
    return "square" if fmt.width == fmt.height else "vertical"


def place(layout: str, fmt: VideoFormat, *, with_product: bool = True) -> Placement:
    """The boxes of ``layout`` in ``fmt``; ``with_product=False`` places *social* without a product picture.

    *presenter_product* always has a product box: a page without pictures falls back to *presenter* before
    this is called (:func:`gpu_runner.scene.plan_scene`).
    """
    if layout == "presenter":
        return _presenter(fmt)
    if layout == "presenter_product":
        return _presenter_product(fmt)
    if layout == "social":
        return _social(fmt, with_product)
    raise ValueError(f"unknown layout {layout!r}; valid layouts: {', '.join(LAYOUTS)}")


def _presenter(fmt: VideoFormat) -> Placement:
    width, height = fmt.width, fmt.height
    unit = min(width, height) / 1080
    margin = 48 * unit
    frame = Box.even(0, 0, width, height)
    shape = orientation(fmt)
    if shape == "landscape":
        side = height * 0.8
        head = Box.even((width - side) / 2, (height - side) / 2, side, side)
        logo = Box.even(margin, margin, width * 0.18, height * 0.1)
        caption = Box.even(width * 0.1, height - margin - height * 0.19, width * 0.8, height * 0.19)
    elif shape == "square":
        side = height * 0.74
        head = Box.even((width - side) / 2, height - side - 104 * unit, side, side)
        logo = Box.even(margin, 40 * unit, width * 0.3, height * 0.1)
        caption = Box.even(margin, height - 24 * unit - height * 0.22, width - 2 * margin, height * 0.22)
    else:
        side = width - 2 * margin
        head = Box.even(margin, (height - side) / 2, side, side)
        logo = Box.even(margin, height * 0.07, width * 0.36, height * 0.07)
        caption = Box.even(72 * unit, head.bottom + 32 * unit, width - 144 * unit, height * 0.125)
    return Placement("presenter", head, None, logo, "left", None, None, caption, frame)


def _presenter_product(fmt: VideoFormat) -> Placement:
    width, height = fmt.width, fmt.height
    unit = min(width, height) / 1080
    margin, gap = 48 * unit, 32 * unit
    frame = Box.even(0, 0, width, height)
    shape = orientation(fmt)
    bar_height = height * (0.14 if shape == "vertical" else 0.2)
    bar = Box.even(0, height - bar_height, width, bar_height)
    if shape == "vertical":
        product = Box.even(margin, height * 0.06, width - 2 * margin, height * 0.32)
        head = Box.even(margin, product.bottom + gap, width - 2 * margin, bar.y - gap - product.bottom - gap)
        caption_height = height * 0.115
    else:
        content = bar.y - 2 * margin
        head_width = content if shape == "landscape" else (width - 3 * margin) / 2
        head = Box.even(margin, margin, head_width, content)
        product = Box.even(head.right + margin, margin, width - head.right - 2 * margin, content)
        caption_height = height * (0.16 if shape == "landscape" else 0.22)
    caption_width = width * (0.8 if shape == "landscape" else 0.9)
    caption = Box.even(
        (width - caption_width) / 2, head.bottom - caption_height - 16 * unit, caption_width, caption_height
    )
    # The lower third: name and price on the left (the start), the logo at the far end.
    padding_y = bar.height * 0.1
    logo = Box.even(width - margin - width * 0.2, bar.y + bar.height * 0.2, width * 0.2, bar.height * 0.6)
    title = Box.even(margin * 1.5, bar.y + padding_y, logo.x - margin * 2.5, bar.height - 2 * padding_y)
    return Placement("presenter_product", head, product, logo, "right", title, bar, caption, frame)


def _social(fmt: VideoFormat, with_product: bool) -> Placement:
    safe = SOCIAL_SAFE_MARGINS.area(fmt.width, fmt.height)
    if safe.height > safe.width:
        return _social_stacked(fmt, safe, with_product)
    return _social_beside(fmt, safe, with_product)


def _social_stacked(fmt: VideoFormat, safe: Box, with_product: bool) -> Placement:
    """Vertical: the presenter large at the top, the product picture and logo below, name and price last.

    Only the presenter's video reaches above the safe area, under the apps' top bar, where a talking head
    shows hair and background; every word and the logo stay inside it.
    """
    unit = min(fmt.width, fmt.height) / 1080
    gap = 16 * unit
    title_height = safe.height * 0.2
    title = Box.even(safe.x, safe.bottom - title_height, safe.width, title_height)
    top = fmt.height * 0.06
    side = safe.width * 0.92 if with_product else min(safe.width, title.y - gap - top)
    head = Box.even(safe.x + (safe.width - side) / 2, top, side, side)
    row = Box.even(safe.x, head.bottom + gap, safe.width, title.y - gap - head.bottom - gap)
    product = Box.even(row.x, row.y, row.width * 0.7, row.height) if with_product else None
    logo_x = product.right + gap if product else row.x
    logo = Box.even(logo_x, row.y + row.height * 0.2, row.right - logo_x, row.height * 0.6)
    # Captions sit over the presenter's chest, like the captions of any short video.
    caption_height = safe.height * 0.2
    caption = Box.even(safe.x, head.bottom - caption_height, safe.width, caption_height)
    return Placement("social", head, product, logo, "center", title, None, caption, safe)


def _social_beside(fmt: VideoFormat, safe: Box, with_product: bool) -> Placement:
    """Square and landscape: logo on top, presenter and product picture side by side, name and price below."""
    unit = min(fmt.width, fmt.height) / 1080
    gap = 16 * unit
    logo = Box.even(safe.x, safe.y, safe.width * 0.45, safe.height * 0.1)
    title_height = safe.height * 0.2
    title = Box.even(safe.x, safe.bottom - title_height, safe.width, title_height)
    region = Box.even(safe.x, logo.bottom + gap, safe.width, title.y - gap - logo.bottom - gap)
    product: Box | None = None
    if with_product:
        side = min(region.height, (region.width - gap) / 2)
        head = Box.even(region.x, region.y, side, side)
        product = Box.even(head.right + gap, region.y, region.right - head.right - gap, region.height)
    else:
        side = min(region.width, region.height)
        head = Box.even(region.x + (region.width - side) / 2, region.y, side, side)
    caption_height = safe.height * 0.3
    caption = Box.even(safe.x, region.bottom - caption_height, safe.width, caption_height)
    return Placement("social", head, product, logo, "left", title, None, caption, safe)
