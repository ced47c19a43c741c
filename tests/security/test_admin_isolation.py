"""Security of the Wagtail admin across organizations, claims 1, 2 and 6 of issue 7 part 4.

- Pages: another organization's owner and admin cannot open acme's pages in the explorer or the editor, nor
  publish them; anonymous visitors are sent to the login.
- Images and media: listings and choosers show only the user's own organization's collection (Wagtail's
  GroupCollectionPermission), and a chosen media item of another organization is refused.
- Video API screens (tokens, webhooks, delivery log): owners and admins of an organization hold the model
  permissions (shop.roles) and see only their own organization's rows; editors hold none; anonymous visitors
  are sent to the login. Creating, editing or deleting another organization's token or webhook fails.
- CSRF: the admin's own POST forms refuse a request without the token.
"""

from __future__ import annotations

import pytest
from wagtailmedia.models import get_media_model

from shop.roles import API_ADMIN_PERMISSIONS
from tests.security.conftest import OUTSIDERS, client_as
from video_plugin.models import ApiToken, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def assert_kept_out(response, actor: str, text: str) -> None:
    """Not shown: a redirect (to the login for anonymous visitors) or a 403/404, and ``text`` nowhere."""
    assert response.status_code in (302, 403, 404), response.status_code
    if actor == "anonymous":
        assert response["Location"].startswith("/admin/login/")
    assert text not in response.content.decode()


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_another_organizations_pages_cannot_be_explored_edited_or_published(world, actor):
    page, index = world.product["acme"], world.index["acme"]
    client = client_as(world, actor)
    for url in (f"/admin/pages/{index.pk}/", f"/admin/pages/{page.pk}/", f"/admin/pages/{page.pk}/edit/"):
        assert_kept_out(client.get(url), actor, "A warm light")
    response = client.post(
        f"/admin/pages/{page.pk}/edit/",
        {"title": "Defaced", "slug": page.slug, "price": "1.00", "action-publish": "publish"},
    )
    assert response.status_code in (302, 403)
    page.refresh_from_db()
    assert page.title == "Acme Lamp"


def test_an_editor_edits_pages_but_does_not_publish(world):
    page = world.product["acme"]
    client = client_as(world, "editor")
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    assert client.post(f"/admin/pages/{page.pk}/unpublish/").status_code in (302, 403)
    page.refresh_from_db()
    assert page.live


@pytest.mark.parametrize("url", ["/admin/images/", "/admin/images/chooser/"])
@pytest.mark.parametrize("actor", ["owner", "editor", "other_org_owner", "other_org_admin"])
def test_image_listings_and_choosers_show_only_the_users_own_collection(world, url, actor):
    body = client_as(world, actor).get(url).content.decode()
    own, other = ("bluebird", "acme") if actor.startswith("other_org") else ("acme", "bluebird")
    # Editors add and choose images but change none, so the listing (of changeable images) is empty for them.
    if not (actor == "editor" and url == "/admin/images/"):
        assert f"{own} presenter" in body
    assert f"{other} presenter" not in body


def test_images_are_kept_from_anonymous_visitors(world):
    for url in ("/admin/images/", "/admin/images/chooser/"):
        assert_kept_out(client_as(world, "anonymous").get(url), "anonymous", "presenter")


@pytest.mark.parametrize("url", ["/admin/media/", "/admin/media/chooser/"])
@pytest.mark.parametrize("actor", OUTSIDERS)
def test_media_listings_and_choosers_hide_another_organizations_videos(world, acme_video, url, actor):
    response = client_as(world, actor).get(url)
    media = acme_video.media
    body = response.content.decode()
    assert media.file.name not in body
    assert f"/admin/media/edit/{media.pk}/" not in body
    assert f"/admin/media/chooser/{media.pk}/" not in body
    if actor == "anonymous":
        assert response.status_code == 302


def test_the_owner_sees_the_organizations_video_in_the_media_listing_and_chooser(world, acme_video):
    """The control for the test above: the video is listed where it should be."""
    client = client_as(world, "owner")
    assert f"/admin/media/edit/{acme_video.media_id}/" in client.get("/admin/media/").content.decode()
    assert (
        f"/admin/media/chooser/{acme_video.media_id}/" in client.get("/admin/media/chooser/").content.decode()
    )


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_another_organizations_media_cannot_be_chosen_or_edited(world, acme_video, actor):
    client = client_as(world, actor)
    for url in (f"/admin/media/chooser/{acme_video.media_id}/", f"/admin/media/edit/{acme_video.media_id}/"):
        assert_kept_out(client.get(url), actor, acme_video.media.file.name)
    client.post(f"/admin/media/delete/{acme_video.media_id}/")
    assert get_media_model().objects.filter(pk=acme_video.media_id).exists()


def test_the_media_chooser_does_not_name_other_organizations_collections(world):
    """wagtailmedia 0.19 names every collection there; shop.media_chooser limits it to the user's own."""
    body = client_as(world, "owner").get("/admin/media/chooser/").content.decode()
    assert "Bluebird" not in body


# --- the Video API screens ----------------------------------------------------------------------------------


def test_owners_and_admins_hold_the_api_screen_permissions_and_editors_none(world):
    for role in ("owner", "admin"):
        user = world.users[(role, "acme")]
        assert all(user.has_perm(f"video_plugin.{codename}") for codename in API_ADMIN_PERMISSIONS), role
    editor = world.users[("editor", "acme")]
    assert not any(editor.has_perm(f"video_plugin.{codename}") for codename in API_ADMIN_PERMISSIONS)


@pytest.fixture
def acme_api_rows(world, acme_video):
    acme = world.orgs["acme"].pk
    token, _ = ApiToken.issue(acme, "acme sync")
    endpoint = WebhookEndpoint.objects.create(
        organization_id=acme, url="https://hooks.acme.example/video", events=["video.succeeded"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, organization_id=acme, event="video.succeeded", job=acme_video, payload={"x": 1}
    )
    return token, endpoint, delivery


SCREENS = {
    "tokens": "/admin/video-api/tokens/",
    "webhooks": "/admin/video-api/webhooks/",
    "deliveries": "/admin/video-api/deliveries/",
}


@pytest.mark.parametrize("actor", ["owner", "admin"])
def test_owners_and_admins_manage_their_organizations_tokens_and_webhooks(world, acme_api_rows, actor):
    token, endpoint, delivery = acme_api_rows
    client = client_as(world, actor)
    assert "acme sync" in client.get(SCREENS["tokens"]).content.decode()
    assert "hooks.acme.example" in client.get(SCREENS["webhooks"]).content.decode()
    assert client.get(f"/admin/video-api/deliveries/inspect/{delivery.pk}/").status_code == 200
    response = client.post(
        "/admin/video-api/tokens/new/", {"name": "second", "organization_id": world.orgs["acme"].pk}
    )
    assert response.status_code == 302, response.content[:500]
    assert ApiToken.objects.filter(name="second", organization_id=world.orgs["acme"].pk).exists()


@pytest.mark.parametrize("actor", [*OUTSIDERS, "editor"])
def test_nobody_else_sees_or_changes_an_organizations_tokens_webhooks_or_deliveries(
    world, acme_api_rows, actor
):
    token, endpoint, delivery = acme_api_rows
    client = client_as(world, actor)
    for url in SCREENS.values():
        response = client.get(url)
        body = response.content.decode()
        assert "acme sync" not in body and "hooks.acme.example" not in body
        assert endpoint.secret not in body
    for url in (
        f"/admin/video-api/tokens/edit/{token.pk}/",
        f"/admin/video-api/webhooks/edit/{endpoint.pk}/",
        f"/admin/video-api/deliveries/inspect/{delivery.pk}/",
    ):
        assert_kept_out(client.get(url), actor, endpoint.secret)
    client.post(f"/admin/video-api/tokens/delete/{token.pk}/")
    client.post(f"/admin/video-api/webhooks/delete/{endpoint.pk}/")
    client.post(
        f"/admin/video-api/webhooks/edit/{endpoint.pk}/",
        {"url": "https://evil.example/", "events": ["video.succeeded"], "is_active": "on"},
    )
    assert ApiToken.objects.filter(pk=token.pk).exists()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.acme.example/video"


@pytest.mark.parametrize("actor", ["other_org_owner", "other_org_admin"])
def test_a_token_cannot_be_issued_for_another_organization(world, actor):
    response = client_as(world, actor).post(
        "/admin/video-api/tokens/new/", {"name": "stolen", "organization_id": world.orgs["acme"].pk}
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.filter(organization_id=world.orgs["acme"].pk).exists()


def test_admin_forms_need_the_csrf_token(world):
    client = client_as(world, "owner", enforce_csrf=True)
    response = client.post(
        "/admin/video-api/tokens/new/", {"name": "sync", "organization_id": world.orgs["acme"].pk}
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()
