"""The static layers of a frame: brand background, presenter frame, product card, lower third, logo, cards.

Each function draws onto a Pillow image with Pillow's own operations (gradients, rounded rectangles, alpha
compositing); nothing here loops over pixels. They are drawn once per product picture, not once per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps

from ..protocol import Brand, Composition, VideoFormat
from .fonts import font_chain
from .geometry import SOCIAL_SAFE_MARGINS, Box, Margins
from .text import FittedText, draw_block, fit_text, line_pitch

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
INK: Colour = (17, 17, 17)
# Cards outside *social* keep this much clear on every side.
CARD_MARGINS = Margins(top=0.08, bottom=0.08, left=0.08, right=0.08)


def rgb(colour: str) -> Colour:
    """``#rrggbb`` as a tuple."""
    value = colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _luminance(colour: Colour) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: Colour, second: Colour) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(background: Colour, preferred: Colour) -> Colour:
    """``preferred`` if it reads on ``background`` (contrast of at least 4.5), else white or near-black."""
    if contrast(preferred, background) >= 4.5:
        return preferred
    return WHITE if contrast(WHITE, background) >= contrast(INK, background) else INK


def _shade(colour: Colour, factor: float) -> Colour:
    return (int(colour[0] * factor), int(colour[1] * factor), int(colour[2] * factor))


def background(fmt: VideoFormat, brand: Brand) -> Image.Image:
    """The brand background: the primary colour, darkening gently towards the bottom, with a thin accent."""
    primary = rgb(brand.primary_colour)
    gradient = Image.linear_gradient("L").resize((fmt.width, fmt.height))
    image = Image.composite(
        Image.new("RGB", (fmt.width, fmt.height), _shade(primary, 0.72)),
        Image.new("RGB", (fmt.width, fmt.height), primary),
        gradient,
    )
    accent = max(2, round(min(fmt.width, fmt.height) * 0.008))
    ImageDraw.Draw(image).rectangle((0, 0, fmt.width, accent - 1), fill=rgb(brand.secondary_colour))
    return image


def frame_around(image: Image.Image, box: Box, brand: Brand) -> None:
    """A border in the secondary colour just outside ``box`` (the presenter's video covers the inside)."""
    width = max(2, round(min(image.size) * 0.006))
    ImageDraw.Draw(image).rectangle(
        (box.x - width, box.y - width, box.right + width - 1, box.bottom + width - 1),
        fill=rgb(brand.secondary_colour),
    )


def reduced(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``picture`` shrunk by a whole factor while it stays at least twice ``size`` (never smaller).

    A shop's 4000-pixel photo is first reduced this way, by box averaging, which costs a fraction of a
    Lanczos pass over the whole and looks the same once resized to the few hundred pixels shown.
    """
    if picture.mode not in ("RGB", "RGBA", "L", "LA"):
        picture = picture.convert("RGBA")
    factor = int(min(picture.width / size[0], picture.height / size[1]) / 2)
    return picture.reduce(factor) if factor >= 2 else picture


def contain(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``picture`` scaled to fit inside ``size`` whole, keeping its shape (RGBA)."""
    return ImageOps.contain(reduced(picture, size).convert("RGBA"), size, method=Image.Resampling.LANCZOS)


def product_card(image: Image.Image, box: Box, picture: Image.Image, brand: Brand) -> None:
    """The product picture shown whole on a rounded card of the secondary colour."""
    radius = round(min(box.size) * 0.04)
    ImageDraw.Draw(image).rounded_rectangle(
        (box.x, box.y, box.right - 1, box.bottom - 1), radius=radius, fill=rgb(brand.secondary_colour)
    )
    inner = box.inset(min(box.size) * 0.05)
    fitted = contain(picture, inner.size)
    offset = (inner.x + (inner.width - fitted.width) // 2, inner.y + (inner.height - fitted.height) // 2)
    image.paste(fitted, offset, fitted)


def paste_logo(image: Image.Image, logo: Image.Image, box: Box, align: str) -> Box:
    """The logo fitted into ``box`` (keeping its shape and transparency); returns where it landed.

    A transparent margin around the logo is trimmed first, so the mark itself fills the box.
    """
    logo = reduced(logo, box.size).convert("RGBA")
    content = logo.getchannel("A").getbbox()
    if content:
        logo = logo.crop(content)
    fitted = contain(logo, box.size)
    top = box.y + (box.height - fitted.height) // 2
    x = {"left": box.x, "right": box.right - fitted.width, "center": box.x + (box.width - fitted.width) // 2}
    left = x[align]
    image.paste(fitted, (left, top), fitted)
    return Box(left, top, fitted.width, fitted.height)


def lower_third(image: Image.Image, bar: Box, brand: Brand) -> Colour:
    """The lower-third bar in the secondary colour with a primary edge; returns the ink that reads on it."""
    secondary, primary = rgb(brand.secondary_colour), rgb(brand.primary_colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((bar.x, bar.y, bar.right - 1, bar.bottom - 1), fill=secondary)
    edge = max(2, round(bar.height * 0.04))
    draw.rectangle((bar.x, bar.y, bar.right - 1, bar.y + edge - 1), fill=primary)
    return ink_on(secondary, primary)


@dataclass(frozen=True)
class Title:
    """The product name and price as set in a title box."""

    name: FittedText | None
    price: FittedText | None


def set_title(composition: Composition, box: Box, *, large: bool, size: int | None = None) -> Title:
    """Fit the product name (at most two lines: wrapped, then shrunk, then shortened) and price into ``box``.

    ``large`` is *social*'s big type; ``size`` sets the name's type size instead of deriving it from the box.
    The price takes one line below the name, a little smaller.
    """
    name, price = composition.product_name, composition.product_price
    family = composition.brand.font
    size = size or round(box.height * (0.3 if large else 0.27))
    price_fit = None
    if price:
        price_size = round(size * 0.82)
        price_fit = fit_text(
            price,
            font_chain(family),
            box.width,
            line_pitch(price_size),
            size=price_size,
            min_size=max(8, price_size // 2),
            max_lines=1,
        )
    name_fit = None
    if name:
        room = box.height - (price_fit.height if price_fit else 0)
        name_fit = fit_text(
            name,
            font_chain(family, bold=True),
            box.width,
            room,
            size=size,
            min_size=max(8, round(size * 0.6)),
            max_lines=2,
        )
    return Title(name_fit, price_fit)


def draw_title(
    image: Image.Image, box: Box, title: Title, family: str, ink: Colour, *, align: str = "start"
) -> None:
    """Draw a set title from the top of ``box``: the name in bold, the price below it."""
    draw = ImageDraw.Draw(image)
    top = box.y
    if title.name:
        chain = font_chain(family, bold=True)
        top = draw_block(
            draw, Box(box.x, top, box.width, title.name.height), title.name, chain, ink, align=align
        ).bottom
    if title.price:
        chain = font_chain(family)
        draw_block(draw, Box(box.x, top, box.width, title.price.height), title.price, chain, ink, align=align)


def card(fmt: VideoFormat, composition: Composition, logo: Image.Image | None, kind: str) -> Image.Image:
    """An intro or outro card: the brand background, the logo, the product name (and, on the outro, price)."""
    image = background(fmt, composition.brand)
    margins = SOCIAL_SAFE_MARGINS if composition.layout == "social" else CARD_MARGINS
    area = margins.area(fmt.width, fmt.height)
    logo_box = Box.even(area.x + area.width * 0.2, area.y, area.width * 0.6, area.height * 0.32)
    if logo is not None:
        paste_logo(image, logo, logo_box, "center")
    text_box = Box.even(area.x, logo_box.bottom + area.height * 0.06, area.width, area.height * 0.5)
    shown = (
        composition
        if kind == "outro"
        else Composition(
            layout=composition.layout, product_name=composition.product_name, brand=composition.brand
        )
    )
    # Type sized by the frame: a card's text box is tall, and a short name must not fill it edge to edge.
    title = set_title(shown, text_box, large=True, size=round(min(fmt.width, fmt.height) * 0.062))
    ink = ink_on(rgb(composition.brand.primary_colour), rgb(composition.brand.secondary_colour))
    draw_title(image, text_box, title, composition.brand.font, ink, align="center")
    return image


def placeholder_presenter(image: Image.Image, box: Box, brand: Brand) -> None:
    """A silhouette where the presenter will be, for previews without a presenter photo."""
    primary = rgb(brand.primary_colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((box.x, box.y, box.right - 1, box.bottom - 1), fill=_shade(primary, 0.55))
    figure = _shade(rgb(brand.secondary_colour), 0.8)
    cx, side = box.x + box.width / 2, min(box.size)
    head_r = side * 0.16
    head_cy = box.y + box.height * 0.42
    draw.ellipse((cx - head_r, head_cy - head_r * 1.2, cx + head_r, head_cy + head_r * 1.2), fill=figure)
    draw.rounded_rectangle(
        (cx - side * 0.34, head_cy + head_r * 1.4, cx + side * 0.34, box.bottom - 1),
        radius=round(side * 0.12),
        fill=figure,
    )
