"""seed_demo: the demo organizations, members, pages and images, and nothing more on a second run."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model

from shop.models import Membership, Organization, ProductPage


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
    assert first[:4] == (2, 7, 6, 5)
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
    assert all(page.product_image for page in ProductPage.objects.all())
    assert acme.index_page.get_children().live().count() == 3


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
