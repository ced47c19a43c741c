"""What a job's finished videos look like: its layout and formats, the organization's brand kit, the product.

A job names its layout, formats and whether captions are burned in, or leaves them to the organization's
brand kit (:func:`organization_defaults`; publish and batch jobs always do). :func:`plan_composition` turns
those choices, the kit and the page into the :class:`gpu_runner.protocol.Composition` the runner composes
from, filing every picture and sound it names under the organization's prefix
(:mod:`video_plugin.jobs.filing`). Whatever is left out (a picture of another organization, a logo that is
too large, music that is not audio) is said in plain words, and the job keeps those notes with its fallbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from wagtail.models import Page

from gpu_runner.protocol import (
    DEFAULT_DISCLOSURE_TEXT,
    DEFAULT_FORMATS,
    MAX_LOGO_BYTES,
    MAX_LOGO_PIXELS,
    MAX_MUSIC_BYTES,
    MAX_PRODUCT_IMAGES,
    MAX_PRODUCT_NAME_CHARS,
    MAX_PRODUCT_PRICE_CHARS,
    Brand,
    Composition,
    Disclosure,
    check_formats,
    check_layout,
    without_control_characters,
)
from video_plugin.jobs.filing import file_asset
from video_plugin.jobs.languages import language_name
from video_plugin.jobs.presenters import may_use_image
from video_plugin.jobs.product import ProductFacts
from video_plugin.models import BrandKit
from video_plugin.public.disclosure import label_in
from video_plugin.tenancy import OrganizationInfo, get_tenancy

logger = logging.getLogger(__name__)

# Logos the runner can draw: raster images (an SVG would need a renderer of its own).
RASTER_LOGO_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "gif", "avif")


@dataclass
class PlannedComposition:
    """The composition to send, and the plain-words notes on what was left out or changed."""

    composition: Composition
    notes: list[str] = field(default_factory=list)


def brand_kit_for(organization_id: int) -> BrandKit:
    """The organization's brand kit, or an unsaved kit with the default look when it has none.

    The logo and the music come with it (one query), since the kit's ``version`` needs their files.
    """
    kit = BrandKit.objects.select_related("logo", "music").filter(organization_id=organization_id).first()
    return kit or BrandKit(organization_id=organization_id)


def disclosure_of(kit: BrandKit, language: str) -> Disclosure:
    """The visible AI label the kit asks for on a video in ``language`` (on by default, like an organization
    without a kit): the kit's own wording, else the label in that language, else the English one
    (:func:`plan_composition` notes that)."""
    return Disclosure(
        text=kit.disclosure_text or label_in(language) or DEFAULT_DISCLOSURE_TEXT,
        position=kit.disclosure_position,
        enabled=kit.disclosure_enabled,
    )


def organization_defaults(organization_id: int) -> tuple[str, tuple[str, ...], bool]:
    """``(layout, formats, burn_captions)`` a job of the organization gets when it names none."""
    return job_choices(brand_kit_for(organization_id))


def job_choices(
    kit: BrandKit,
    layout: str | None = None,
    formats: Sequence[str] | None = None,
    burn_captions: bool | None = None,
) -> tuple[str, tuple[str, ...], bool]:
    """A job's layout, formats and captions choice, each ``None`` filled from ``kit``.

    The kit's default formats go with its default layout; a job choosing another layout gets that layout's
    own (:data:`gpu_runner.protocol.DEFAULT_FORMATS`), so a vertical *social* job is not cut to 16:9 because
    the product page's layout is. Captions are burned in when the kit says so, and always for *social*
    unless the job says otherwise. Raises :class:`gpu_runner.protocol.ProtocolError` (a ``ValueError``)
    naming the valid values for an unknown layout or format.
    """
    layout = check_layout(kit.default_layout if layout is None else layout)
    if formats is None:
        own = kit.default_formats if layout == kit.default_layout else None
        formats = own or DEFAULT_FORMATS[layout]
    chosen_formats = check_formats(list(formats) if isinstance(formats, tuple) else formats)
    if burn_captions is None:
        burn_captions = kit.default_burn_captions or layout == "social"
    if not isinstance(burn_captions, bool):
        raise ValueError(f"burn_captions must be true or false, not {burn_captions!r}")
    return layout, chosen_formats, burn_captions


def product_of(page: Page) -> ProductFacts:
    """The page's product facts (its ``video_product()``), or its title alone."""
    describe = getattr(page, "video_product", None)
    return describe() if callable(describe) else ProductFacts(name=page.title)


def plan_composition(
    organization: OrganizationInfo,
    page: Page,
    kit: BrandKit,
    layout: str,
    formats: tuple[str, ...],
    burn_captions: bool,
) -> PlannedComposition:
    """The composition of a job of ``page``, with every picture and sound filed under the organization.

    Raises whatever the storage raises when a file cannot be read or written.
    """
    notes: list[str] = []
    product = product_of(page)
    # Translators: %(count)s and %(shown)s are numbers of characters.
    name_cut = _("the product name has %(count)s characters; the video shows its first %(shown)s and '…'")
    # Translators: %(count)s and %(shown)s are numbers of characters.
    price_cut = _("the price has %(count)s characters; the video shows its first %(shown)s and '…'")
    name = shortened(product.name, MAX_PRODUCT_NAME_CHARS, name_cut, notes)
    price = shortened(product.price, MAX_PRODUCT_PRICE_CHARS, price_cut, notes)
    image_keys = product_image_keys(organization, product.images, notes)
    if layout == "presenter_product" and not image_keys:
        notes.append(
            # Translators: %(page)s is the quoted page title.
            _(
                "page %(page)s has no product picture the organization may use, so the video uses the "
                "presenter layout instead of presenter and product: give the page a product image"
            )
            % {"page": repr(page.title)}
        )
        layout = "presenter"
    language = page.video_language()
    if kit.disclosure_enabled and not kit.disclosure_text and label_in(language) is None:
        notes.append(
            # Translators: %(language)s is the name of the page's language ("Swahili").
            _(
                "the AI label is in English: there is no %(language)s wording for it; set the label's "
                "wording in the brand kit"
            )
            % {"language": language_name(language)}
        )
    brand = Brand(
        primary_colour=kit.primary_colour.lower(),
        secondary_colour=kit.secondary_colour.lower(),
        font=kit.font,
        logo_key=logo_key(organization, kit, notes),
        music_key=music_key(organization, kit, notes),
        intro_s=float(kit.intro_seconds) if kit.intro_enabled else 0.0,
        outro_s=float(kit.outro_seconds) if kit.outro_enabled else 0.0,
        version=kit.version,
    )
    composition = Composition(
        layout=layout,
        formats=formats,
        burn_captions=burn_captions,
        product_name=name,
        product_price=price,
        product_image_keys=tuple(image_keys),
        brand=brand,
    )
    return PlannedComposition(composition, notes)


def shortened(text: str, limit: int, cut_note: str, notes: list[str]) -> str:
    """``text`` as one clean line of at most ``limit`` characters; a cut is noted with ``cut_note`` (its
    ``%(count)s`` and ``%(shown)s`` filled in)."""
    text = " ".join(without_control_characters(text or "").split())
    if len(text) <= limit:
        return text
    notes.append(cut_note % {"count": len(text), "shown": limit - 1})
    return text[: limit - 1].rstrip() + "…"


def product_image_keys(organization: OrganizationInfo, images: Sequence[Any], notes: list[str]) -> list[str]:
    """The filed keys of the product pictures the organization may use, main picture first, at most
    :data:`~gpu_runner.protocol.MAX_PRODUCT_IMAGES`; each one left out is noted."""
    keys: list[str] = []
    seen: set[int] = set()
    for image in images:
        if image is None or image.pk in seen:
            continue
        seen.add(image.pk)
        if not may_use_image(organization, image):
            notes.append(
                # Translators: %(image)s is the quoted image title, %(organization)s the quoted organization.
                _(
                    "the product picture %(image)s (id %(id)s) is not one of %(organization)s's images, so "
                    "the video leaves it out: use pictures from the organization's own collection"
                )
                % {"image": repr(image.title), "id": image.pk, "organization": repr(organization.name)}
            )
            continue
        if len(keys) == MAX_PRODUCT_IMAGES:
            notes.append(
                _("the page has more than %(count)s product pictures; the video shows the first %(count)s")
                % {"count": MAX_PRODUCT_IMAGES}
            )
            break
        keys.append(file_asset(organization.id, "products", image.file, "jpg"))
    return keys


def may_use_media(organization: OrganizationInfo, media: Any) -> bool:
    """Whether the organization may use the wagtailmedia item ``media`` (its collections, or what its tenancy
    allows)."""
    return get_tenancy().media_of(organization).filter(pk=media.pk).exists()


def logo_key(organization: OrganizationInfo, kit: BrandKit, notes: list[str]) -> str:
    """The filed key of the kit's logo, or ``""`` (noted) when it has none the runner may draw."""
    logo = kit.logo if kit.logo_id else None
    if logo is None:
        return ""
    note = ""
    extension = logo.file.name.rsplit(".", 1)[-1].lower()
    facts = {"logo": repr(logo.title), "organization": repr(organization.name), "extension": extension}
    # Translators (each note below): %(logo)s is the quoted logo title.
    if not may_use_image(organization, logo):
        note = _(
            "the video has no logo: the brand kit's logo %(logo)s was left out because it is not one of "
            "%(organization)s's images; choose one from the organization's collection"
        )
    elif extension not in RASTER_LOGO_EXTENSIONS:
        # Translators: %(extension)s is a file name extension such as "svg"; keep PNG and JPEG.
        note = _(
            "the video has no logo: the brand kit's logo %(logo)s was left out because a .%(extension)s file "
            "is not a picture the video can draw; upload a PNG or JPEG"
        )
    elif logo.file.size > MAX_LOGO_BYTES:
        facts.update(size=file_size(logo.file.size), limit=file_size(MAX_LOGO_BYTES))
        note = _(
            "the video has no logo: the brand kit's logo %(logo)s was left out because it has %(size)s; "
            "upload one of at most %(limit)s"
        )
    elif (logo.width or 0) * (logo.height or 0) > MAX_LOGO_PIXELS:
        facts.update(width=logo.width, height=logo.height, limit=f"{MAX_LOGO_PIXELS / 1e6:g}")
        note = _(
            "the video has no logo: the brand kit's logo %(logo)s was left out because it is "
            "%(width)s×%(height)s pixels; upload one of at most %(limit)s megapixels"
        )
    if note:
        notes.append(note % facts)
        return ""
    return file_asset(organization.id, "brand", logo.file, "png")


def music_key(organization: OrganizationInfo, kit: BrandKit, notes: list[str]) -> str:
    """The filed key of the kit's background music, or ``""`` (noted) when it has none the runner may mix."""
    music = kit.music if kit.music_id else None
    if music is None:
        return ""
    note = ""
    facts = {
        "music": repr(music.title),
        "organization": repr(organization.name),
        "type": music.type or "media",
    }
    # Translators (each note below): %(music)s is the quoted title of the brand kit's music.
    if music.type != "audio":
        # Translators: %(type)s is a media type kept in English, such as "video".
        note = _(
            "the video has no music: the brand kit's music %(music)s was left out because it is a %(type)s "
            "item, not audio; choose an audio file"
        )
    elif not may_use_media(organization, music):
        note = _(
            "the video has no music: the brand kit's music %(music)s was left out because it is not in "
            "%(organization)s's collection; upload it there"
        )
    elif music.file.size > MAX_MUSIC_BYTES:
        facts.update(size=file_size(music.file.size), limit=file_size(MAX_MUSIC_BYTES))
        note = _(
            "the video has no music: the brand kit's music %(music)s was left out because it has %(size)s; "
            "use one of at most %(limit)s"
        )
    if note:
        notes.append(note % facts)
        return ""
    return file_asset(organization.id, "brand", music.file, "mp3")


def file_size(size: int) -> str:
    """A file size as people read it: "5 MB", "70 KB", "100 bytes" (binary units, whole numbers)."""
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.0f} {unit}"
    return f"{size} bytes"
