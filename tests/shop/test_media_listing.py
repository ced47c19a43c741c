"""shop.media_listing still does wagtailmedia's listing's job: lists, searches, filters by collection and
tag, and hands the search box's results to wagtailmedia."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import resolve, reverse

from shop import media_listing
from shop.models import Membership, Organization
from tests.factories import make_media

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_of_two(world):
    """acme's owner, also an admin of Cobalt, with a tagged video in each collection and a plain one."""
    cobalt = Organization.objects.create(name="Cobalt", slug="cobalt")
    owner = world.users[("owner", "acme")]
    Membership.objects.create(user=owner, organization=cobalt, role="admin")
    make_media(world.orgs["acme"].collection, "acme-spring-teaser", "spring-range")
    make_media(world.orgs["acme"].collection, "acme-plain-teaser")
    make_media(cobalt.collection, "cobalt-teaser", "cobalt-launch")
    client = Client()
    client.force_login(owner)
    return client, cobalt


def test_wagtailmedias_listing_url_reaches_the_scoped_view():
    # The admin wraps every view in its access checks, which keep the view's module and name.
    view = resolve(reverse("wagtailmedia:index")).func
    assert (view.__module__, view.__qualname__) == (media_listing.__name__, "index")


def test_the_listing_shows_the_users_media_and_their_tags(world, owner_of_two):
    client, _cobalt = owner_of_two
    body = client.get("/admin/media/").content.decode()
    for text in ("acme-spring-teaser", "acme-plain-teaser", "cobalt-teaser", "spring-range", "cobalt-launch"):
        assert text in body, text


def test_the_listing_filters_by_a_tag_the_user_owns(world, owner_of_two):
    client, _cobalt = owner_of_two
    body = client.get("/admin/media/", {"tag": "spring-range"}).content.decode()
    assert "acme-spring-teaser" in body
    assert "acme-plain-teaser" not in body
    assert "cobalt-teaser" not in body


def test_the_listing_filters_by_collection_and_ignores_another_organizations(world, owner_of_two):
    client, cobalt = owner_of_two
    body = client.get("/admin/media/", {"collection_id": cobalt.collection.pk}).content.decode()
    assert "cobalt-teaser" in body
    assert "acme-spring-teaser" not in body
    # Bluebird's collection is not the user's: the filter is ignored, as wagtailmedia ignores unknown ids.
    everything = client.get("/admin/media/", {"collection_id": world.orgs["bluebird"].collection.pk})
    assert "acme-spring-teaser" in everything.content.decode()
    assert "cobalt-teaser" in everything.content.decode()


def test_the_listing_searches_by_title_on_the_page_and_from_the_search_box(world, owner_of_two):
    client, _cobalt = owner_of_two
    page = client.get("/admin/media/", {"q": "plain"}).content.decode()
    results = client.get("/admin/media/", {"q": "plain"}, headers={"X-Requested-With": "XMLHttpRequest"})
    for body in (page, results.content.decode()):
        assert "acme-plain-teaser" in body
        assert "acme-spring-teaser" not in body
    assert "spring-range" in page  # the page keeps its tag list
