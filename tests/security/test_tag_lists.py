"""The admin's image and media tag lists name only tags of what the user may see (issue 7 part 4).

Wagtail's listings and choosers suggest "popular tags" counted over every object in the site; each screen
fixed in ``shop.image_views`` and ``shop.media_listing`` is tried here by every kind of outsider: another
organization's owner and admin, a member of the same organization with fewer rights, a user of two
organizations, and nobody logged in.
"""

from __future__ import annotations

from typing import Any

import pytest

from shop.models import Membership, Organization
from tests.conftest import make_image
from tests.factories import make_media
from tests.security.conftest import client_as

pytestmark = pytest.mark.django_db

IMAGE_SCREENS = ["/admin/images/", "/admin/images/results/", "/admin/images/chooser/"]
ALL_SCREENS = [*IMAGE_SCREENS, "/admin/media/"]


def body_of(response: Any) -> str:
    """The HTML of a page, or of a Wagtail modal (which answers JSON)."""
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.json()["html"]
    return response.content.decode()


@pytest.fixture
def tagged(world: Any) -> dict[str, str]:
    """An image and a media item tagged in each organization; the tag names, by organization."""
    for slug in ("acme", "bluebird"):
        world.orgs[slug].default_presenter_image.tags.add(f"{slug}-image-tag")
        make_media(world.orgs[slug].collection, f"{slug}-teaser", f"{slug}-media-tag")
    return {"acme": "acme-", "bluebird": "bluebird-"}


@pytest.fixture
def cobalt(world: Any) -> Organization:
    """A third organization whose admin is acme's owner; it has one tagged image and media item."""
    cobalt = Organization.objects.create(name="Cobalt", slug="cobalt")
    Membership.objects.create(user=world.users[("owner", "acme")], organization=cobalt, role="admin")
    make_image("cobalt picture", cobalt.collection).tags.add("cobalt-image-tag")
    make_media(cobalt.collection, "cobalt-teaser", "cobalt-media-tag")
    return cobalt


@pytest.mark.parametrize("url", ALL_SCREENS)
@pytest.mark.parametrize("actor", ["other_org_owner", "other_org_admin"])
def test_another_organizations_owner_and_admin_see_none_of_acmes_tags(world, tagged, url, actor):
    response = client_as(world, actor).get(url)
    assert response.status_code == 200
    body = body_of(response)
    assert "acme-image-tag" not in body
    assert "acme-media-tag" not in body


def test_another_organizations_owner_still_sees_their_own_tags(world, tagged):
    client = client_as(world, "other_org_owner")
    assert "bluebird-image-tag" in body_of(client.get("/admin/images/"))
    assert "bluebird-image-tag" in body_of(client.get("/admin/images/chooser/"))


@pytest.mark.parametrize("url", ALL_SCREENS)
def test_an_editor_sees_no_other_organizations_tags(world, tagged, url):
    response = client_as(world, "editor").get(url)
    assert response.status_code == 200
    body = body_of(response)
    assert "bluebird-image-tag" not in body
    assert "bluebird-media-tag" not in body


def test_an_editor_is_offered_their_organizations_tags_in_the_image_chooser(world, tagged):
    # An editor may choose images but not change them, so only the chooser lists acme's images to them.
    assert "acme-image-tag" in body_of(client_as(world, "editor").get("/admin/images/chooser/"))


@pytest.mark.parametrize("url", ["/admin/images/", "/admin/images/chooser/"])
def test_a_user_of_two_organizations_sees_the_image_tags_of_both_and_no_third(world, tagged, cobalt, url):
    body = body_of(client_as(world, "owner").get(url))
    assert "acme-image-tag" in body
    assert "cobalt-image-tag" in body
    assert "bluebird-image-tag" not in body


def test_a_user_of_two_organizations_sees_the_media_tags_of_both_and_no_third(world, tagged, cobalt):
    # wagtailmedia draws its tag list only for users with two or more collections.
    body = body_of(client_as(world, "owner").get("/admin/media/"))
    assert "acme-media-tag" in body
    assert "cobalt-media-tag" in body
    assert "bluebird-media-tag" not in body


@pytest.mark.parametrize("url", ALL_SCREENS)
def test_nobody_logged_in_is_sent_to_the_login_page_without_any_tag(world, tagged, url):
    response = client_as(world, "anonymous").get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "-tag" not in response.content.decode()


def test_the_image_listing_refuses_to_filter_by_another_organizations_tag(world, tagged):
    # The tag filter's choices are the user's tags: another organization's tag is not a valid choice, so it
    # neither filters nor confirms that the tag exists.
    response = client_as(world, "owner").get("/admin/images/", {"tag": "bluebird-image-tag"})
    assert response.status_code == 200
    assert "bluebird presenter" not in response.content.decode()
