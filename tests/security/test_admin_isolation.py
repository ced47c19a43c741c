"""Security of the Wagtail admin across organizations, claims 1, 2 and 6 of issue 7 part 4.

Under the shop's tenancy and the plugin's default (``tenant``, see ``conftest``):

- Pages: the outsiders (another organization's owner and admin; a producer of another section, or of
  none) cannot open the page in the explorer or the editor, nor publish it; anonymous visitors are sent to
  the login. The viewer edits the page but does not publish it.
- Pages across the tree: the outsiders find neither the page nor its section (title, draft title, id, URL)
  on the dashboard, in the explorer of the root and its parents, the admin's page search, or the locked
  pages, aging pages, site history and workflow reports; the page's own people do.
- Video API screens (tokens, webhooks, delivery log): whoever may generate for the whole organization (owners
  and admins; holders of ``video_plugin.generate_video``) and holds the screens' model permissions sees the
  organization's rows and issues its tokens; the model permissions alone show nothing; nobody issues a token
  for an organization they may not manage; anonymous visitors are sent to the login.
- CSRF: the admin's own POST forms refuse a request without the token.

The shop only, where each organization has a collection of its own:

- Images and media: listings and choosers show only the user's own organization's collection (Wagtail's
  GroupCollectionPermission), and a chosen media item of another organization is refused.
- The page chooser (browsing, searching, opening at a page or a page type, answering chosen ids) and the
  page types usage report show no page of another organization (``shop.page_views``); a site without
  organizations is one organization, whose pages Wagtail's chooser lists to all its editors.
- Video API screens: another organization's owner and admin see and change none of acme's rows.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from wagtailmedia.models import get_media_model

from shop.roles import API_ADMIN_PERMISSIONS
from tests.conftest import permissions
from tests.security.conftest import GENERATORS, OUTSIDERS, TENANT_OUTSIDERS, client_as
from video_plugin.models import ApiToken, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def assert_kept_out(response, actor: str, text: str) -> None:
    """Not shown: Wagtail's redirect (to the login for anonymous visitors, back into the admin for a user
    without the permission), and ``text`` nowhere."""
    assert response.status_code == 302, response.status_code
    if actor == "anonymous":
        assert response["Location"].startswith("/admin/login/")
    else:
        assert response["Location"].startswith("/admin/") and not response["Location"].startswith(
            "/admin/login/"
        )
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


# --- pages across the tree: the explorer, the page search, the reports and the page chooser -----------------

MEMBERS = ("owner", "admin", "editor", "other_org_owner", "other_org_admin")


def with_admin_history(page, user) -> None:
    """Give ``page`` what the admin's page reports list: a publication (aging pages), then a draft under a
    new title submitted for moderation (workflow reports), a lock (locked pages) and log entries (site
    history)."""
    # Published in the user's name whether or not they may publish (the default tenancy's producers may not).
    page.save_revision(user=user, log_action=True).publish(user=user, skip_permission_checks=True)
    page.title = f"{page.title} autumn draft"
    page.save_revision(user=user, log_action=True)
    page.get_workflow().start(page, user)  # Wagtail's default workflow, "Moderators approval"
    type(page).objects.filter(pk=page.pk).update(locked=True, locked_by=user, locked_at=timezone.now())
    page.refresh_from_db()


def marks_of(page) -> list[str]:
    """What would show ``page`` on an admin screen: its title and draft title, its URL, and its id where the
    admin prints page ids (links, the chooser's data attributes, the chooser's JSON)."""
    pk = page.pk
    return [
        page.title,
        page.draft_title,
        page.url,
        f"/admin/pages/{pk}/",
        f"/admin/choose-page/{pk}/",
        f'data-id="{pk}"',
        f'data-parent-id="{pk}"',
        f'"id": {pk}',
    ]


def assert_no_mark_of(text: str, *pages) -> None:
    for page in pages:
        for mark in marks_of(page):
            assert mark not in text, mark


def shown(response) -> str:
    """The text a response shows: the chooser answers in JSON, with its HTML as one member."""
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        return (data.pop("html", None) or "") + json.dumps(data)
    return response.content.decode()


def own_and_other(actor: str) -> tuple[str, str]:
    return ("bluebird", "acme") if actor.startswith("other_org") else ("acme", "bluebird")


@pytest.fixture
def busy_tenant(tenant):
    """``tenant`` with its page and the outsiders' page published, drafted, locked and logged."""
    with_admin_history(tenant.page, tenant.user("generator"))
    with_admin_history(tenant.other_page, tenant.user("outsider"))
    return tenant


@pytest.fixture
def busy_world(world):
    """Both organizations' product pages published, drafted, locked and logged by their owners."""
    for slug in ("acme", "bluebird"):
        with_admin_history(world.product[slug], world.users[("owner", slug)])
    return world


# Wagtail lists pages across the tree on these screens, each limited to the pages the user may explore.
TREE_LISTINGS = (
    "/admin/",
    "/admin/pages/",
    "/admin/pages/{root}/",
    "/admin/pages/{home}/",
    "/admin/pages/search/?q=Lamp",
    "/admin/reports/locked/",
    "/admin/reports/aging-pages/",
    "/admin/reports/site-history/",
    "/admin/reports/workflow/",
    "/admin/reports/workflow_tasks/",
)


def tree_listing_urls(section) -> list[str]:
    home = section.get_parent()
    return [url.format(root=home.get_parent().pk, home=home.pk) for url in TREE_LISTINGS]


@pytest.mark.parametrize("part", TENANT_OUTSIDERS)
def test_outsiders_find_the_page_in_no_explorer_page_search_or_report(busy_tenant, part):
    client = busy_tenant.client(part)
    for url in tree_listing_urls(busy_tenant.section):
        response = client.get(url, follow=True)
        if part == "anonymous":
            assert response.redirect_chain[-1][0].startswith("/admin/login/"), url
        assert_no_mark_of(response.content.decode(), busy_tenant.section, busy_tenant.page)


@pytest.mark.parametrize("part", [*GENERATORS, "viewer"])
def test_the_pages_people_find_it_in_the_explorer_page_search_and_reports(busy_tenant, part):
    """The control for the test above: the same screens list the page where they should."""
    client = busy_tenant.client(part)
    for url in (
        f"/admin/pages/{busy_tenant.section.pk}/",
        "/admin/pages/search/?q=Lamp",
        "/admin/reports/site-history/",
        "/admin/reports/workflow/",
    ):
        assert busy_tenant.page.title in client.get(url).content.decode(), url


CHOOSER_URLS = (
    "/admin/choose-page/",
    "/admin/choose-page/{home}/",
    "/admin/choose-page/?page_type=shop.productpage",
    "/admin/choose-page/search/?q=Lamp",
    "/admin/choose-page/search/?q={other}",
)


@pytest.mark.parametrize("url", CHOOSER_URLS)
@pytest.mark.parametrize("actor", MEMBERS)
def test_the_page_chooser_shows_no_other_organizations_page(busy_world, url, actor):
    own, other = own_and_other(actor)
    home = busy_world.index[own].get_parent()
    response = client_as(busy_world, actor).get(url.format(home=home.pk, other=busy_world.orgs[other].name))
    assert response.status_code == 200
    assert_no_mark_of(shown(response), busy_world.index[other], busy_world.product[other])


@pytest.mark.parametrize("actor", MEMBERS)
def test_the_page_chooser_lists_the_users_own_pages(busy_world, actor):
    """The control for the test above: browsing and searching reach the organization's pages."""
    own, _ = own_and_other(actor)
    index, product = busy_world.index[own], busy_world.product[own]
    client = client_as(busy_world, actor)
    assert f'data-id="{index.pk}"' in shown(client.get(f"/admin/choose-page/{index.get_parent().pk}/"))
    assert f'data-id="{product.pk}"' in shown(client.get(f"/admin/choose-page/{index.pk}/"))
    assert f'data-id="{product.pk}"' in shown(client.get("/admin/choose-page/search/?q=Lamp"))
    assert product.draft_title in shown(client.get(f"/admin/choose-page/chosen-multiple/?id={product.pk}"))


@pytest.mark.parametrize("actor", MEMBERS)
def test_the_page_chooser_opens_at_and_answers_for_no_other_organizations_page(busy_world, actor):
    own, other = own_and_other(actor)
    client = client_as(busy_world, actor)
    for page in (busy_world.index[other], busy_world.product[other]):
        for url in (
            f"/admin/choose-page/{page.pk}/",
            f"/admin/choose-page/chosen-multiple/?id={page.pk}",
            f"/admin/choose-page/chosen-multiple/?id={busy_world.product[own].pk}&id={page.pk}",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert_no_mark_of(shown(response), busy_world.index[other], busy_world.product[other])


def test_the_page_chooser_opens_a_page_type_among_the_users_own_pages(world):
    """Wagtail opens a chooser limited to a page type at the first common ancestor of that type's pages:
    with only bluebird having product pages, bluebird's index page."""
    world.product["acme"].delete()
    response = client_as(world, "owner").get("/admin/choose-page/?page_type=shop.productpage")
    assert response.status_code == 200
    assert_no_mark_of(shown(response), world.index["bluebird"], world.product["bluebird"])


@pytest.mark.parametrize("actor", MEMBERS)
def test_the_page_types_report_counts_and_names_only_the_users_own_pages(busy_world, actor):
    own, other = own_and_other(actor)
    body = client_as(busy_world, actor).get("/admin/reports/page-types-usage/").content.decode()
    # The last edited product page: the organization's own, not the other's (edited after it for acme).
    assert busy_world.product[own].draft_title in body
    assert_no_mark_of(body, busy_world.index[other], busy_world.product[other])


def test_the_page_chooser_and_page_types_report_send_anonymous_visitors_to_the_login(busy_world):
    client = client_as(busy_world, "anonymous")
    index, product = busy_world.index["acme"], busy_world.product["acme"]
    for url in (
        *(url.format(home=index.get_parent().pk, other="Acme") for url in CHOOSER_URLS),
        f"/admin/choose-page/{index.pk}/",
        f"/admin/choose-page/chosen-multiple/?id={product.pk}",
        "/admin/reports/page-types-usage/",
    ):
        assert_kept_out(client.get(url), "anonymous", product.title)
