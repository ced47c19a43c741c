"""shop.image_views still does Wagtail's image listing's and chooser's job: lists, searches, filters by tag
and chooses."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import resolve, reverse

from shop import image_views
from tests.conftest import make_image

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def acme_images(world):
    """Two acme images: one tagged "spring-range", one untagged."""
    collection = world.orgs["acme"].collection
    spring, plain = make_image("Spring jacket", collection), make_image("Plain scarf", collection)
    spring.tags.add("spring-range")
    return spring, plain


def test_wagtails_image_urls_reach_the_scoped_views():
    assert resolve(reverse("wagtailimages:index")).func.view_class is image_views.ImageIndexView
    assert resolve(reverse("wagtailimages:index_results")).func.view_class is image_views.ImageIndexView
    assert resolve(reverse("wagtailimages_chooser:choose")).func.view_class is image_views.ImageChooseView


def test_the_listing_shows_the_users_images_and_offers_their_tag(world, acme_images):
    body = client_for(world.users[("owner", "acme")]).get("/admin/images/").content.decode()
    assert "Spring jacket" in body
    assert "Plain scarf" in body
    assert 'value="spring-range"' in body  # the tag filter's checkbox


def test_the_listing_filters_by_a_tag_the_user_owns(world, acme_images):
    client = client_for(world.users[("owner", "acme")])
    for url in ("/admin/images/", "/admin/images/results/"):
        body = client.get(url, {"tag": "spring-range"}).content.decode()
        assert "Spring jacket" in body, url
        assert "Plain scarf" not in body, url


def test_the_listing_searches_by_title(world, acme_images):
    body = client_for(world.users[("owner", "acme")]).get("/admin/images/", {"q": "scarf"}).content.decode()
    assert "Plain scarf" in body
    assert "Spring jacket" not in body


def test_the_chooser_lists_the_users_images_and_suggests_their_tag(world, acme_images):
    spring, plain = acme_images
    answer = client_for(world.users[("editor", "acme")]).get("/admin/images/chooser/").json()
    assert answer["step"] == "choose"
    assert f"/admin/images/chooser/chosen/{spring.pk}/" in answer["html"]
    assert f"/admin/images/chooser/chosen/{plain.pk}/" in answer["html"]
    assert "spring-range" in answer["html"]


def test_the_chooser_results_filter_by_tag_and_an_image_is_chosen(world, acme_images):
    spring, plain = acme_images
    client = client_for(world.users[("editor", "acme")])
    results = client.get("/admin/images/chooser/results/", {"tag": "spring-range"}).content.decode()
    assert f"/admin/images/chooser/chosen/{spring.pk}/" in results
    assert f"/admin/images/chooser/chosen/{plain.pk}/" not in results
    chosen = client.get(f"/admin/images/chooser/chosen/{spring.pk}/").json()
    assert (chosen["step"], chosen["result"]["id"]) == ("chosen", str(spring.pk))


def test_the_chooser_for_a_rich_text_image_keeps_its_select_format_step(world, acme_images):
    spring, _plain = acme_images
    html = client_for(world.users[("editor", "acme")]).get("/admin/images/chooser/?select_format=true")
    select_format_url = reverse("wagtailimages_chooser:select_format", args=(spring.pk,))
    assert select_format_url in html.json()["html"]
