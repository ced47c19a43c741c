"""Security of the Wagtail admin across organizations, claims 1, 2 and 6 of issue 7 part 4.

Under the shop's tenancy and the plugin's default (``tenant``, see ``conftest``):

- Pages: the outsiders (another organization's owner and admin; a producer of another section, or of
  none) cannot open the page in the explorer or the editor, nor publish it; anonymous visitors are sent to
  the login. The viewer edits the page but does not publish it.
- Video API screens (tokens, webhooks, delivery log): whoever may generate for the whole organization (owners
  and admins; holders of ``video_plugin.generate_video``) and holds the screens' model permissions sees the
  organization's rows and issues its tokens; the model permissions alone show nothing; nobody issues a token
  for an organization they may not manage; anonymous visitors are sent to the login.
- CSRF: the admin's own POST forms refuse a request without the token.

The shop only, where each organization has a collection of its own:

- Images and media: listings and choosers show only the user's own organization's collection (Wagtail's
  GroupCollectionPermission), and a chosen media item of another organization is refused.
- Video API screens: another organization's owner and admin see and change none of acme's rows.
"""

from __future__ import annotations

import pytest
from wagtailmedia.models import get_media_model

from shop.roles import API_ADMIN_PERMISSIONS
from tests.conftest import permissions
from tests.security.conftest import GENERATORS, OUTSIDERS, TENANT_OUTSIDERS, client_as
from video_plugin.models import ApiToken, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def assert_kept_out(response, actor: str, text: str) -> None:
    """Not shown: a redirect (to the login for anonymous visitors) or a 403/404, and ``text`` nowhere."""
    assert response.status_code in (302, 403, 404), response.status_code
    if actor == "anonymous":
        assert response["Location"].startswith("/admin/login/")
    assert text not in response.content.decode()


@pytest.mark.parametrize("part", TENANT_OUTSIDERS)
def test_outsiders_cannot_explore_edit_or_publish_the_page(tenant, part):
    page, section = tenant.page, tenant.section
    title = page.title
    client = tenant.client(part)
    for url in (f"/admin/pages/{section.pk}/", f"/admin/pages/{page.pk}/", f"/admin/pages/{page.pk}/edit/"):
        assert_kept_out(client.get(url), part, "A warm light")
    client.post(
        f"/admin/pages/{page.pk}/edit/",
        {"title": "Defaced", "slug": page.slug, "price": "1.00", "action-publish": "publish"},
    )
    page.refresh_from_db()
    assert page.title == title and not page.has_unpublished_changes


def test_a_viewer_edits_the_page_but_does_not_publish(tenant):
    page = tenant.page
    client = tenant.client("viewer")
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    client.post(f"/admin/pages/{page.pk}/unpublish/")
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


def api_rows(organization_id: int, video) -> tuple[ApiToken, WebhookEndpoint, WebhookDelivery]:
    """A token, a webhook endpoint and one delivery of the organization."""
    token, _ = ApiToken.issue(organization_id, "page sync")
    endpoint = WebhookEndpoint.objects.create(
        organization_id=organization_id, url="https://hooks.page.example/video", events=["video.succeeded"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        organization_id=organization_id,
        event="video.succeeded",
        job=video,
        payload={"x": 1},
    )
    return token, endpoint, delivery


@pytest.fixture
def tenant_api_rows(tenant, tenant_video):
    return api_rows(tenant.organization_id, tenant_video)


@pytest.fixture
def acme_api_rows(world, acme_video):
    return api_rows(world.orgs["acme"].pk, acme_video)


SCREENS = {
    "tokens": "/admin/video-api/tokens/",
    "webhooks": "/admin/video-api/webhooks/",
    "deliveries": "/admin/video-api/deliveries/",
}


def assert_rows_hidden(client, part: str, rows) -> None:
    """None of the rows is listed, opened, deleted or changed by ``client``."""
    token, endpoint, delivery = rows
    for url in SCREENS.values():
        body = client.get(url).content.decode()
        assert "page sync" not in body and "hooks.page.example" not in body
        assert endpoint.secret not in body
    for url in (
        f"/admin/video-api/tokens/edit/{token.pk}/",
        f"/admin/video-api/webhooks/edit/{endpoint.pk}/",
        f"/admin/video-api/deliveries/inspect/{delivery.pk}/",
    ):
        assert_kept_out(client.get(url), part, endpoint.secret)
    client.post(f"/admin/video-api/tokens/delete/{token.pk}/")
    client.post(f"/admin/video-api/webhooks/delete/{endpoint.pk}/")
    client.post(
        f"/admin/video-api/webhooks/edit/{endpoint.pk}/",
        {"url": "https://evil.example/", "events": ["video.succeeded"], "is_active": "on"},
    )
    assert ApiToken.objects.filter(pk=token.pk).exists()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.page.example/video"


@pytest.mark.parametrize("part", GENERATORS)
def test_generators_manage_their_organizations_tokens_and_webhooks(tenant, tenant_api_rows, part):
    token, endpoint, delivery = tenant_api_rows
    client = tenant.client(part)
    assert "page sync" in client.get(SCREENS["tokens"]).content.decode()
    assert "hooks.page.example" in client.get(SCREENS["webhooks"]).content.decode()
    assert client.get(f"/admin/video-api/deliveries/inspect/{delivery.pk}/").status_code == 200
    response = client.post(
        "/admin/video-api/tokens/new/", {"name": "second", "organization_id": tenant.organization_id}
    )
    # The page that shows the new token, once.
    assert response.status_code == 200 and "Copy the token now" in response.content.decode()
    assert ApiToken.objects.filter(name="second", organization_id=tenant.organization_id).exists()


@pytest.mark.parametrize("part", ["viewer", "anonymous"])
def test_viewers_and_anonymous_visitors_see_and_change_no_tokens_webhooks_or_deliveries(
    tenant, tenant_api_rows, part
):
    assert_rows_hidden(tenant.client(part), part, tenant_api_rows)


def test_the_screens_model_permissions_alone_show_no_organizations_rows(tenant, tenant_api_rows):
    """The host decides who opens the screens; the tenancy decides whose rows they show."""
    viewer = tenant.user("viewer")
    viewer.user_permissions.add(*permissions("video_plugin", *API_ADMIN_PERMISSIONS))
    client = tenant.client("viewer")
    assert_rows_hidden(client, "viewer", tenant_api_rows)
    response = client.post(
        "/admin/video-api/tokens/new/", {"name": "stolen", "organization_id": tenant.organization_id}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.filter(name="stolen").exists()


@pytest.mark.parametrize("actor", [*OUTSIDERS, "editor"])
def test_nobody_else_sees_or_changes_an_organizations_tokens_webhooks_or_deliveries(
    world, acme_api_rows, actor
):
    """Shop only: under the default tenancy, every holder of the permission manages the site's one
    organization."""
    assert_rows_hidden(client_as(world, actor), actor, acme_api_rows)


def test_a_token_cannot_be_issued_for_an_organization_one_may_not_manage(tenant):
    response = tenant.client("generator").post(
        "/admin/video-api/tokens/new/", {"name": "stolen", "organization_id": tenant.foreign_organization_id}
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.filter(name="stolen").exists()


def test_admin_forms_need_the_csrf_token(tenant):
    client = tenant.client("generator", enforce_csrf=True)
    response = client.post(
        "/admin/video-api/tokens/new/", {"name": "sync", "organization_id": tenant.organization_id}
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()
