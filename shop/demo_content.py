"""The demo catalogue: two organizations with members of every role, product pages with a gallery, a presenter
(a public-domain photo, recorded as such), and a brand kit (logo, colours, video defaults) so finished videos
show the shop's look.

Every function here finds what a previous run made before creating anything, so seeding twice changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site

from shop.models import Membership, Organization, ProductGalleryImage, ProductIndexPage, ProductPage
from shop.roles import Role
from video_plugin.models import BrandKit, Presenter

SUPERUSER = ("admin", "demo-admin")
PUBLIC_DOMAIN_LICENCE = (
    "Public domain: NASA's portrait of astronaut Eileen Collins, a work of the U.S. federal government, as "
    "shipped with scikit-image (skimage.data.astronaut; see shop/fixtures/README.md). Used for the demo only."
)


@dataclass(frozen=True)
class DemoProduct:
    title: str
    description: str
    price: Decimal
    colour: tuple[int, int, int]
    # Language code → (title, description) of the product page's translation in that locale.
    translations: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoBrand:
    """An organization's brand kit: its colours (``#rrggbb``) and what its publish and batch jobs make."""

    primary_colour: str
    secondary_colour: str
    default_layout: str
    default_formats: tuple[str, ...]
    default_burn_captions: bool


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    slug: str
    auto_generate_on_publish: bool
    products: tuple[DemoProduct, ...]
    brand: DemoBrand


ORGANIZATIONS = (
    DemoOrganization(
        name="Acme Outdoor",
        slug="acme",
        auto_generate_on_publish=True,
        products=(
            DemoProduct(
                "Trail Backpack",
                "A 30 litre pack that carries a day's gear. Padded straps, rain cover included.",
                Decimal("89.00"),
                (46, 125, 50),
                translations={
                    "de": (
                        "Wanderrucksack",
                        "Ein 30-Liter-Rucksack für die Ausrüstung eines Tages. Gepolsterte Gurte, mit "
                        "Regenhülle.",
                    ),
                    "ja": (
                        "トレイルバックパック",
                        "一日分の装備が入る30リットルのバックパック。パッド入りストラップ、レインカバー付き。",
                    ),
                },
            ),
            DemoProduct(
                "Camp Mug",
                "Enamel steel, 350 ml, survives the campfire.",
                Decimal("12.50"),
                (230, 81, 0),
                translations={
                    "de": ("Campingbecher", "Emaillierter Stahl, 350 ml, übersteht das Lagerfeuer."),
                    "ja": ("キャンプマグ", "ホーロー製、350ml、焚き火にも耐えます。"),
                },
            ),
            DemoProduct(
                "Head Torch",
                "300 lumens, rechargeable, lasts a whole night on low.",
                Decimal("34.99"),
                (21, 101, 192),
                translations={
                    "de": ("Stirnlampe", "300 Lumen, aufladbar, hält auf kleiner Stufe eine ganze Nacht."),
                    "ja": ("ヘッドライト", "300ルーメン、充電式、弱モードで一晩中使えます。"),
                },
            ),
        ),
        brand=DemoBrand("#1b4332", "#f1faee", "presenter_product", ("landscape", "square"), False),
    ),
    DemoOrganization(
        name="Bluebird Books",
        slug="bluebird",
        auto_generate_on_publish=False,
        products=(
            DemoProduct(
                "Reading Lamp",
                "A warm clip-on light for late chapters.",
                Decimal("24.00"),
                (255, 193, 7),
                translations={
                    "de": ("Leselampe", "Ein warmes Klemmlicht für späte Kapitel."),
                    "ja": ("読書灯", "夜遅くの読書に、暖かな光のクリップライト。"),
                },
            ),
            DemoProduct(
                "Canvas Tote",
                "Holds a week of library books.",
                Decimal("15.00"),
                (96, 125, 139),
                translations={
                    "de": ("Stofftasche", "Fasst die Bibliotheksbücher einer Woche."),
                    "ja": ("キャンバストート", "図書館の本一週間分が入ります。"),
                },
            ),
        ),
        brand=DemoBrand("#1d3557", "#f8f3e6", "social", ("vertical", "square"), True),
    ),
)


def password_for(role: Role, organization_slug: str) -> str:
    """The documented demo password of a member: ``demo-<role>-<org slug>``."""
    return f"demo-{role.value}-{organization_slug}"


def ensure_superuser() -> None:
    username, password = SUPERUSER
    user_model = get_user_model()
    if not user_model.objects.filter(username=username).exists():
        user_model.objects.create_superuser(username, f"{username}@example.com", password)


def ensure_members(organization: Organization) -> list[tuple[str, str, Role]]:
    """One user per role in the organization; returns ``(username, password, role)`` for each."""
    user_model = get_user_model()
    logins = []
    for role in Role:
        username = f"{role.value}-{organization.slug}"
        password = password_for(role, organization.slug)
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username, f"{username}@example.com", password)
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": role.value})
        logins.append((username, password, role))
    return logins


def ensure_image(title: str, organization: Organization, draw: callable) -> object:
    """A Wagtail image in the organization's collection, drawn by ``draw() -> PIL image`` the first time."""
    image_model = get_image_model()
    existing = image_model.objects.filter(title=title, collection=organization.collection).first()
    if existing is not None:
        return existing
    buffer = io.BytesIO()
    draw().save(buffer, format="PNG")
    image = image_model(title=title, collection=organization.collection)
    image.file = ImageFile(buffer, name=f"{organization.slug}-{title.lower().replace(' ', '-')}.png")
    image.save()
    return image


def product_picture(product: DemoProduct) -> PILImage.Image:
    """A simple product card: a coloured square with the product's name."""
    picture = PILImage.new("RGB", (600, 600), product.colour)
    pen = ImageDraw.Draw(picture)
    pen.rounded_rectangle((80, 80, 520, 520), radius=40, outline="white", width=12)
    pen.text((300, 300), product.title, fill="white", anchor="mm", font_size=48)
    return picture


def product_detail_picture(product: DemoProduct) -> PILImage.Image:
    """The product's second, gallery picture: the card's colours swapped, so a video's cut to it shows."""
    picture = PILImage.new("RGB", (600, 600), "white")
    pen = ImageDraw.Draw(picture)
    pen.ellipse((90, 90, 510, 510), fill=product.colour)
    pen.text((300, 300), "detail", fill="white", anchor="mm", font_size=56)
    return picture


def logo_picture(spec: DemoOrganization) -> PILImage.Image:
    """A transparent 480×160 logo: a badge in the brand's primary colour with the organization's initials."""
    primary = spec.brand.primary_colour
    secondary = spec.brand.secondary_colour
    initials = "".join(word[0] for word in spec.name.split()[:2]).upper()
    picture = PILImage.new("RGBA", (480, 160), (0, 0, 0, 0))
    pen = ImageDraw.Draw(picture)
    pen.rounded_rectangle((0, 0, 479, 159), radius=36, fill=primary, outline=secondary, width=6)
    pen.text((240, 80), initials, fill=secondary, anchor="mm", font_size=96)
    return picture


def astronaut_picture() -> PILImage.Image:
    """Eileen Collins' NASA portrait from scikit-image (public domain; see shop/fixtures/README.md)."""
    from skimage import data

    return PILImage.fromarray(data.astronaut())


def ensure_public_domain_presenter(organization: Organization, photo: Any) -> Presenter:
    """The demo's presenter: a public-domain photograph, recorded as such (a licence record, not a person's
    consent). A shop's own presenters are real people who sign a consent form (Settings → Presenters)."""
    presenter, _ = Presenter.objects.get_or_create(
        organization_id=organization.pk,
        photo=photo,
        defaults={
            "name": "Astronaut (public-domain photo)",
            "kind": Presenter.Kind.SYNTHETIC,
            "licence": PUBLIC_DOMAIN_LICENCE,
        },
    )
    return presenter


def ensure_site() -> Site:
    """The default Site at the address the demo serves on (``WAGTAILADMIN_BASE_URL``), so the pages' full URLs
    and API v2's ``detail_url`` and ``html_url`` point where a browser finds them, not at port 80."""
    address = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    site = Site.objects.get(is_default_site=True)
    site.hostname = address.hostname or site.hostname
    site.port = address.port or (443 if address.scheme == "https" else 80)
    site.site_name = settings.WAGTAIL_SITE_NAME
    site.save()
    return site


def ensure_catalogue(spec: DemoOrganization) -> Organization:
    """The organization with its presenter, index page and published product pages."""
    organization, created = Organization.objects.get_or_create(
        slug=spec.slug, defaults={"name": spec.name, "default_voice": "espeak:en-us"}
    )
    photo = ensure_image("Presenter (astronaut)", organization, astronaut_picture)
    ensure_public_domain_presenter(organization, photo)
    if organization.default_presenter_image_id is None:
        organization.default_presenter_image = photo
        organization.save()

    index = organization.index_page
    if index is None:
        root = Site.objects.get(is_default_site=True).root_page
        index = root.add_child(
            instance=ProductIndexPage(title=spec.name, slug=spec.slug, organization=organization)
        )
        index.save_revision().publish()
    for product in spec.products:
        if ProductPage.objects.child_of(index).filter(title=product.title).exists():
            continue
        detail = ensure_image(
            f"{product.title} detail", organization, lambda p=product: product_detail_picture(p)
        )
        page = index.add_child(
            instance=ProductPage(
                title=product.title,
                description=f"<p>{product.description}</p>",
                price=product.price,
                product_image=ensure_image(product.title, organization, lambda p=product: product_picture(p)),
                gallery_images=[ProductGalleryImage(image=detail)],
            )
        )
        page.save_revision().publish()
    ensure_translations(spec, index)
    ensure_brand_kit(spec, organization)

    # Switched on only after the first products are published, so seeding does not queue renders by itself.
    if created and spec.auto_generate_on_publish:
        organization.auto_generate_on_publish = True
        organization.save()
    return organization


def ensure_translations(spec: DemoOrganization, index: ProductIndexPage) -> None:
    """Each product page's translations (``DemoProduct.translations``), published, under the index page's
    translation in the same locale: a page per language, each with its own video.

    Made with Wagtail's ``copy_for_translation`` (the site's home and the index page are copied into the
    locale first, as their translations' parents), then given the translated title and description.
    Translations already there are left as they are.
    """
    languages = sorted({code for product in spec.products for code in product.translations})
    organization = index.organization
    with auto_generate_paused(organization):
        for language in languages:
            locale, _ = Locale.objects.get_or_create(language_code=language)
            translated_index = index.get_translation_or_none(locale)
            if translated_index is None:
                translated_index = index.copy_for_translation(locale, copy_parents=True)
            publish_if_draft(translated_index.get_parent())
            publish_if_draft(translated_index)
            for product in spec.products:
                if language not in product.translations:
                    continue
                source = ProductPage.objects.child_of(index).filter(title=product.title).first()
                if source is None or source.get_translation_or_none(locale) is not None:
                    continue
                title, description = product.translations[language]
                translation = source.copy_for_translation(locale)
                translation.title = title
                translation.draft_title = title
                translation.description = f"<p>{description}</p>"
                translation.save_revision().publish()


def publish_if_draft(page: Page) -> None:
    """Publish a page ``copy_for_translation`` left as a draft (the depth-1 tree root is never one)."""
    page = page.specific
    if not page.live and not page.is_root():
        page.save_revision().publish()


@contextmanager
def auto_generate_paused(organization: Organization) -> Iterator[None]:
    """Publishing the demo's pages queues no renders, even for an organization with auto-generate on (acme on
    a second run): the setting is off while they publish and restored after."""
    was_on = Organization.objects.filter(pk=organization.pk, auto_generate_on_publish=True).exists()
    if was_on:
        Organization.objects.filter(pk=organization.pk).update(auto_generate_on_publish=False)
    try:
        yield
    finally:
        if was_on:
            Organization.objects.filter(pk=organization.pk).update(auto_generate_on_publish=True)


def ensure_brand_kit(spec: DemoOrganization, organization: Organization) -> BrandKit:
    """The organization's brand kit with a logo drawn for it; a kit someone has edited is left as it is."""
    logo = ensure_image(f"{spec.name} logo", organization, lambda: logo_picture(spec))
    kit, _ = BrandKit.objects.get_or_create(
        organization_id=organization.pk,
        defaults={
            "logo": logo,
            "primary_colour": spec.brand.primary_colour,
            "secondary_colour": spec.brand.secondary_colour,
            "intro_enabled": True,
            "intro_seconds": 1.5,
            "default_layout": spec.brand.default_layout,
            "default_formats": list(spec.brand.default_formats),
            "default_burn_captions": spec.brand.default_burn_captions,
        },
    )
    return kit
