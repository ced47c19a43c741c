"""The admin's collection filters and tag lists name only what the user may see (issue 7 part 4, isolation).

Each organization's collection bears its name, so a dropdown of every collection would name every
organization. A user with one collection gets no dropdown at all, so these tests use acme's owner who is
also an admin of a third organization, Cobalt: their dropdowns must list Acme and Cobalt, never Bluebird.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from shop.models import Membership, Organization
from tests.factories import make_media
from tests.security.conftest import client_as

pytestmark = pytest.mark.django_db

COLLECTION_SELECT = re.compile(r'<select[^>]*name="collection_id"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r"<option[^>]*>(.*?)</option>", re.S)


def collection_options(html: str) -> list[str]:
    """The option labels of the page's collection filter, without its empty choice ("All collections" or
    "---------")."""
    select = COLLECTION_SELECT.search(html)
    assert select is not None, "no collection filter on the page"
    labels = [re.sub(r"<[^>]+>|&nbsp;|\s+", " ", label).strip() for label in OPTION.findall(select.group(1))]
    return [label for label in labels if label.strip("-") and label != "All collections"]


def modal_html(response: Any) -> str:
    """The HTML of a Wagtail modal response (wagtailmedia's chooser answers JSON)."""
    assert response.status_code == 200, response.status_code
    return response.json()["html"]


@pytest.fixture
def two_org_owner(world: Any) -> Any:
    """acme's owner, also an admin of a third organization, Cobalt."""
    cobalt = Organization.objects.create(name="Cobalt", slug="cobalt")
    owner = world.users[("owner", "acme")]
    Membership.objects.create(user=owner, organization=cobalt, role="admin")
    return owner


MEDIA_MODALS = [
    "/admin/media/chooser/",
    "/admin/media/chooser/video/",
    "/admin/media/chooser/audio/",
    "/admin/media/video/chooser/upload/",
]


@pytest.mark.parametrize("url", MEDIA_MODALS)
def test_the_media_chooser_offers_only_the_users_collections(world, two_org_owner, url):
    assert collection_options(modal_html(client_as(world, "owner").get(url))) == ["Acme", "Cobalt"]


def test_a_refused_upload_draws_the_chooser_again_with_only_the_users_collections(world, two_org_owner):
    response = client_as(world, "owner").post("/admin/media/video/chooser/upload/", {})
    html = modal_html(response)
    assert "This field is required" in html  # the form came back with its errors
    assert collection_options(html) == ["Acme", "Cobalt"]
    assert "Bluebird" not in html


@pytest.mark.parametrize("url", [*MEDIA_MODALS, "/admin/media/", "/admin/images/", "/admin/images/chooser/"])
@pytest.mark.parametrize("actor", ["owner", "editor", "other_org_owner", "other_org_admin"])
def test_no_admin_screen_names_another_organizations_collection(world, url, actor):
    response = client_as(world, actor).get(url)
    body = response.json()["html"] if url in MEDIA_MODALS else response.content.decode()
    other = "Acme" if actor.startswith("other_org") else "Bluebird"
    assert response.status_code == 200
    assert other not in body


def test_the_media_listing_filter_offers_only_the_users_collections(world, two_org_owner):
    make_media(world.orgs["acme"].collection, "acme-teaser")
    body = client_as(world, "owner").get("/admin/media/").content.decode()
    assert collection_options(body) == ["Acme", "Cobalt"]


@pytest.mark.parametrize("url", ["/admin/images/", "/admin/images/chooser/"])
def test_the_image_listing_and_chooser_filters_offer_only_the_users_collections(world, two_org_owner, url):
    response = client_as(world, "owner").get(url)
    body = response.json()["html"] if url.endswith("chooser/") else response.content.decode()
    assert collection_options(body) == ["Acme", "Cobalt"]


@pytest.mark.parametrize("url", ["/admin/media/chooser/", "/admin/media/chooser/video/"])
def test_the_media_chooser_suggests_only_tags_of_media_the_user_may_choose(world, url):
    make_media(world.orgs["acme"].collection, "acme-teaser", "spring-range")
    make_media(world.orgs["bluebird"].collection, "bluebird-teaser", "bluebird-launch")
    html = modal_html(client_as(world, "owner").get(url))
    assert "spring-range" in html
    assert "bluebird-launch" not in html


@pytest.mark.parametrize("url", ["/admin/images/", "/admin/images/chooser/"])
def test_image_screens_suggest_only_tags_of_images_the_user_may_see(world, url):
    world.orgs["bluebird"].default_presenter_image.tags.add("bluebird-launch")
    response = client_as(world, "owner").get(url)
    body = response.json()["html"] if url.endswith("chooser/") else response.content.decode()
    assert "bluebird-launch" not in body
