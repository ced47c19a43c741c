"""The panel's live preview: one still of the chosen layout in the chosen format, drawn from the page's
presenter photo, its own product pictures and the organization's brand kit, before anything is queued.

It is drawn here, on the web host, by the runner's own scene code (:func:`gpu_runner.scene.preview_image`), so
the preview is the first frame's design and not a look-alike. To answer within a second it reads small Wagtail
renditions of the images (never the uploads themselves) and sends a scaled-down JPEG.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from gpu_runner.protocol import (
    FORMATS,
    MAX_PRODUCT_IMAGES,
    MAX_PRODUCT_NAME_CHARS,
    MAX_PRODUCT_PRICE_CHARS,
    Brand,
    Composition,
    ProtocolError,
)
from gpu_runner.scene import SceneAssets, preview_image
from gpu_runner.scene.disclosure import layout_label, paste_label
from video_plugin.editor import labels
from video_plugin.editor.layout_choice import read_burn_captions, read_formats, read_layout
from video_plugin.jobs.composition import (
    ProductFacts,
    brand_kit_for,
    disclosure_of,
    job_choices,
    product_of,
    shortened,
)
from video_plugin.jobs.presenters import may_use_image
from video_plugin.jobs.scripts import first_sentences, plain_text
from video_plugin.models import BrandKit
from video_plugin.tenancy import OrganizationInfo

logger = logging.getLogger(__name__)

# Wagtail rendition filters for the inputs: enough detail for a preview a few hundred pixels wide.
PICTURE_FILTER = "max-800x800"
LOGO_FILTER = "max-400x400"
# The preview's longer side in pixels: sharp in the panel's column, small enough to send at once.
PREVIEW_LONG_SIDE = 640
JPEG_QUALITY = 85
# A sample caption is one short line of what the page will say.
SAMPLE_CAPTION_CHARS = 60
# Says, beside the picture, when the job would fall back to another layout.
LAYOUT_NOTE_HEADER = "X-Layout-Note"


@dataclass(frozen=True)
class PreviewChoice:
    """The one layout and format a preview shows, and whether a caption is burned in."""

    layout: str
    format: str
    burn_captions: bool


def preview_choice(query: Mapping[str, Any], organization_id: int) -> PreviewChoice:
    """The ``layout``, ``format`` and ``burn_captions`` of a preview request, those left out filled the way a
    job's are (:func:`~video_plugin.jobs.composition.job_choices`).

    Raises :class:`ProtocolError` naming the valid values for an unknown layout or format.
    """
    formats = read_formats(query.get("format"))
    if formats is not None and len(formats) != 1:
        raise ProtocolError(
            _("a preview shows one format at a time: one of %(formats)s") % {"formats": ", ".join(FORMATS)}
        )
    layout, formats, burn = job_choices(
        brand_kit_for(organization_id),
        read_layout(query.get("layout")),
        formats,
        read_burn_captions(query.get("burn_captions")),
    )
    return PreviewChoice(layout=layout, format=formats[0], burn_captions=burn)


def rendition_picture(image: Any, filter_spec: str, mode: str = "RGB") -> PILImage.Image | None:
    """A small Wagtail rendition of ``image``, decoded (Wagtail makes it once and keeps it); ``None`` when
    the image's file is missing or unreadable, so the preview is drawn without it rather than not at all."""
    try:
        rendition = image.get_rendition(filter_spec)
        with rendition.file.open("rb") as handle:
            picture = PILImage.open(handle)
            picture.load()
    # Wagtail's SourceImageIOError (a missing file) is an OSError.
    except (OSError, UnidentifiedImageError) as exc:
        logger.warning("preview leaves out image %s (%r): %s", image.pk, image.title, exc)
        return None
    return picture.convert(mode)


def product_pictures(product: ProductFacts, organization: OrganizationInfo) -> list[Any]:
    """The product pictures a job would show: main first, only those the organization may use, at most
    :data:`~gpu_runner.protocol.MAX_PRODUCT_IMAGES`."""
    usable: list[Any] = []
    for image in product.images:
        if image is not None and image not in usable and may_use_image(organization, image):
            usable.append(image)
    return usable[:MAX_PRODUCT_IMAGES]


def sample_caption(page: Any) -> str:
    """A line of what the page's video will say, to show the burned-in captions' type and place."""
    source = page.video_script_source()
    text = plain_text(source.script or source.description) or source.title
    return first_sentences(text, SAMPLE_CAPTION_CHARS)


def preview_composition(product: ProductFacts, kit: BrandKit, choice: PreviewChoice) -> Composition:
    """What the job would compose, with the brand kit's colours and font; pictures come as decoded images
    (:func:`preview_assets`), so nothing is filed in the organization's storage for a preview."""
    return Composition(
        layout=choice.layout,
        formats=(choice.format,),
        burn_captions=choice.burn_captions,
        product_name=shortened(product.name, MAX_PRODUCT_NAME_CHARS, "product name", []),
        product_price=shortened(product.price, MAX_PRODUCT_PRICE_CHARS, "price", []),
        brand=Brand(
            primary_colour=kit.primary_colour.lower(),
            secondary_colour=kit.secondary_colour.lower(),
            font=kit.font,
        ),
    )


def preview_assets(
    product: ProductFacts, organization: OrganizationInfo, kit: BrandKit, presenter: Any
) -> SceneAssets:
    """The presenter photo, the product pictures and the brand kit's logo, as small decoded images."""
    pictures = [rendition_picture(image, PICTURE_FILTER) for image in product_pictures(product, organization)]
    # As for the job, a logo that is not one of the organization's own images is left out.
    logo = kit.logo if kit.logo_id and may_use_image(organization, kit.logo) else None
    return SceneAssets(
        product_images=[picture for picture in pictures if picture is not None],
        logo=rendition_picture(logo, LOGO_FILTER, "RGBA") if logo is not None else None,
        presenter=rendition_picture(presenter, PICTURE_FILTER) if presenter is not None else None,
    )


@dataclass(frozen=True)
class LayoutPreview:
    """A preview's JPEG, and a plain-words note when the job would fall back (``""`` when it would not)."""

    jpeg: bytes
    note: str = ""


def layout_preview(
    page: Any, organization: OrganizationInfo, choice: PreviewChoice, presenter: Any = None
) -> LayoutPreview:
    """The preview of ``choice`` for ``page``: a JPEG whose longer side is :data:`PREVIEW_LONG_SIDE`.

    ``presenter`` is the photo the editor has chosen in the panel; ``None`` uses the page's or the
    organization's, as the job would.
    """
    kit = brand_kit_for(organization.id)
    product = product_of(page)
    presenter = presenter or page.video_presenter_image() or organization.default_presenter_image
    composition = preview_composition(product, kit, choice)
    assets = preview_assets(product, organization, kit, presenter)
    caption = sample_caption(page) if choice.burn_captions else None
    picture = preview_image(composition, FORMATS[choice.format], assets, sample_caption=caption)
    # The visible AI label, where and as the runner draws it on every frame.
    without_picture = choice.layout == "presenter_product" and not assets.product_images
    label = layout_label(
        disclosure_of(kit, page.video_language()),
        FORMATS[choice.format],
        "presenter" if without_picture else choice.layout,
        composition.brand.font,
        with_product=bool(assets.product_images),
    )
    paste_label(picture, label)
    picture.thumbnail((PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE), PILImage.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    note = ""
    if choice.layout == "presenter_product" and not assets.product_images:
        # The job falls back the same way (video_plugin.jobs.composition.plan_composition).
        note = _(
            "This page has no product picture, so its video uses the %(layout)r layout instead: give the "
            "page a product image."
        ) % {"layout": labels.layout_label("presenter")}
    return LayoutPreview(jpeg=buffer.getvalue(), note=note)
