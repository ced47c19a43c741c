"""docs/layouts/: a picture of each layout in each format, drawn by the same code as the panel's preview and
the runner's composed videos (:func:`gpu_runner.scene.preview_image`), from the demo shop's first product.

The test keeps the pictures true: it fails when the scene code draws something else than the committed files.
After changing a layout on purpose, draw them anew with

    WRITE_LAYOUT_PICTURES=1 .venv/bin/python -m pytest -q tests/video_plugin/test_layout_preview_docs.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import ImageChops, ImageDraw, ImageStat

from gpu_runner.protocol import FORMATS, LAYOUTS, Brand, Composition
from gpu_runner.scene import SceneAssets, preview_image
from shop.demo_content import ORGANIZATIONS, astronaut_picture, product_picture
from video_plugin.jobs.product import shown_price

DOCS = Path(__file__).resolve().parents[2] / "docs" / "layouts"
# Half the video's size: sharp on a documentation page, small in the repository.
SCALE = 0.5
# Font rasterisation differs a little between FreeType builds; a changed layout differs far more.
MAX_MEAN_DIFFERENCE = 2.0
SAMPLE_CAPTION = "A 30 litre pack that carries a day's gear."


def demo_logo(brand: Brand, initial: str) -> PILImage.Image:
    """A round badge with the organization's initial, on a transparent background."""
    logo = PILImage.new("RGBA", (240, 240), (0, 0, 0, 0))
    pen = ImageDraw.Draw(logo)
    pen.ellipse((0, 0, 239, 239), fill=brand.secondary_colour)
    pen.text((120, 122), initial, fill=brand.primary_colour, anchor="mm", font_size=150)
    return logo


def layout_picture(layout: str, format_name: str) -> PILImage.Image:
    """The demo's first product in ``layout`` and ``format_name``, at :data:`SCALE`."""
    organization = ORGANIZATIONS[0]
    product = organization.products[0]
    brand = Brand(
        primary_colour=organization.brand.primary_colour, secondary_colour=organization.brand.secondary_colour
    )
    composition = Composition(
        layout=layout,
        formats=(format_name,),
        burn_captions=layout == "social",
        product_name=product.title,
        product_price=shown_price(product.price, "USD", "en"),
        brand=brand,
    )
    assets = SceneAssets(
        product_images=[product_picture(product)],
        logo=demo_logo(brand, organization.name[0]),
        presenter=astronaut_picture(),
    )
    video_format = FORMATS[format_name]
    picture = preview_image(composition, video_format, assets, sample_caption=SAMPLE_CAPTION)
    size = (round(video_format.width * SCALE), round(video_format.height * SCALE))
    return picture.resize(size, PILImage.Resampling.LANCZOS)


@pytest.mark.parametrize("format_name", list(FORMATS))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_docs_show_each_layout_in_each_format_as_it_is_drawn(layout, format_name):
    path = DOCS / f"{layout}-{format_name}.png"
    drawn = layout_picture(layout, format_name)
    if os.environ.get("WRITE_LAYOUT_PICTURES"):
        DOCS.mkdir(parents=True, exist_ok=True)
        drawn.save(path, optimize=True)

    assert path.exists(), f"{path} is missing; draw it with WRITE_LAYOUT_PICTURES=1 (see this module)"
    committed = PILImage.open(path).convert("RGB")
    video_format = FORMATS[format_name]
    assert committed.size == (video_format.width * SCALE, video_format.height * SCALE)
    difference = ImageStat.Stat(ImageChops.difference(committed, drawn)).mean
    assert max(difference) <= MAX_MEAN_DIFFERENCE, (
        f"{path.name} no longer matches the {layout} layout in {format_name} as drawn now (mean difference "
        f"{max(difference):.1f}); draw it anew with WRITE_LAYOUT_PICTURES=1 if the change is meant"
    )
