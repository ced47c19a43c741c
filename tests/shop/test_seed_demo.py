"""seed_demo: the demo organizations, members, pages, images and brand kits, and nothing more on a second
run."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model

from shop.models import Membership, Organization, ProductPage
from shop.tenancy import ShopTenancy
from video_plugin.models import BrandKit, Presenter, VideoJob
from video_plugin.presenters.consent import usability


def counts():
    return (
        Organization.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
        ProductPage.objects.count(),
        get_image_model().objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert first[:4] == (2, 7, 6, 15)  # five products, each in English, German and Japanese
    assert "owner-acme" in out.getvalue() and "demo-owner-acme" in out.getvalue()
    assert "http://127.0.0.1:8000/admin/" in out.getvalue()

    user_model = get_user_model()
    assert user_model.objects.get(username="admin").is_superuser
    assert user_model.objects.get(username="editor-bluebird").check_password("demo-editor-bluebird")

    acme, bluebird = Organization.objects.get(slug="acme"), Organization.objects.get(slug="bluebird")
    assert acme.auto_generate_on_publish and not bluebird.auto_generate_on_publish
    assert acme.default_voice == "espeak:en-us"
    presenter = acme.default_presenter_image
    assert presenter.collection == acme.collection
    with presenter.file.open("rb") as handle:
        assert PILImage.open(handle).size == (512, 512)  # the astronaut portrait
    # A public-domain photo, recorded as such: usable without a person's consent record, its licence kept.
    recorded = Presenter.objects.get(organization_id=acme.pk, photo=presenter)
    assert recorded.kind == Presenter.Kind.SYNTHETIC and "Public domain" in recorded.licence
    assert recorded.consents.count() == 0 and usability(recorded).usable
    assert all(page.product_image for page in ProductPage.objects.all())
    assert acme.index_page.get_children().live().count() == 3
    assert acme.index_page.locale.language_code == "en"

    # Every product page has a published German and Japanese translation of its own, under its organization's
    # translated index page, which ShopTenancy finds the organization through.
    backpack = ProductPage.objects.get(title="Trail Backpack")
    translations = {page.locale.language_code: page.specific for page in backpack.get_translations()}
    assert sorted(translations) == ["de", "ja"]
    assert translations["de"].title == "Wanderrucksack" and "Regenhülle" in translations["de"].description
    assert translations["ja"].title == "トレイルバックパック"
    assert all(page.live for page in translations.values())
    assert translations["de"].price == backpack.price
    for language in ("de", "ja"):
        locale_pages = ProductPage.objects.filter(locale__language_code=language).live()
        assert locale_pages.count() == 5
        assert all(page.get_parent().specific.locale.language_code == language for page in locale_pages)
    tenancy = ShopTenancy()
    assert tenancy.organization_for_page(translations["ja"]).slug == "acme"
    assert sorted(acme.index_pages.values_list("locale__language_code", flat=True)) == ["de", "en", "ja"]
    # Seeding published the translations without queueing a render, and left auto-generate on.
    assert not VideoJob.objects.exists()

    # Finished videos in the shop's look: a brand kit with a logo of its own, a gallery picture per product.
    assert BrandKit.objects.count() == 2
    kit = BrandKit.objects.get(organization_id=acme.pk)
    assert (kit.primary_colour, kit.secondary_colour, kit.default_layout, kit.default_formats) == (
        "#1b4332",
        "#f1faee",
        "presenter_product",
        ["landscape", "square"],
    )
    assert kit.logo.collection == acme.collection
    with kit.logo.file.open("rb") as handle:
        logo = PILImage.open(handle)
        logo.load()
    assert logo.size == (480, 160) and logo.mode == "RGBA"
    assert logo.getpixel((2, 2))[3] == 0, "transparent outside the badge"
    assert logo.getpixel((60, 80))[:3] == (0x1B, 0x43, 0x32), "the badge in the primary colour"
    for page in ProductPage.objects.all():
        product = page.video_product()
        assert len(product.images) == 2
        # Each language writes the price its own way ("89 $" in German); the English pages lead with it.
        assert product.price.startswith("$") or page.locale.language_code != "en"
    assert BrandKit.objects.get(organization_id=bluebird.pk).default_layout == "social"


@pytest.mark.django_db
def test_seed_demo_puts_the_site_where_the_demo_serves(settings, client):
    """API v2's detail_url and html_url name the demo's own port, not port 80."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
    call_command("seed_demo", stdout=io.StringIO())

    listing = client.get(
        "/api/v2/pages/?type=shop.ProductPage&fields=_,detail_url,html_url", HTTP_HOST="127.0.0.1"
    )
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert items
    for item in items:
        assert item["meta"]["detail_url"].startswith("http://127.0.0.1:8000/api/v2/pages/")
        assert item["meta"]["html_url"].startswith("http://127.0.0.1:8000/")
