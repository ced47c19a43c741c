"""The Wagtail admin's Video API screens: a token shown once and stored hashed, webhooks with their secret,
the read-only delivery log, each scoped to the user's organizations."""

from __future__ import annotations

import base64
import re
import zlib

import pytest

from video_plugin.models import ApiToken, WebhookDelivery, WebhookEndpoint

TOKEN = re.compile(r"vt_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.superuser)
    return client


@pytest.mark.django_db
def test_creating_a_token_shows_it_once_and_stores_its_hash(admin_client, world):
    acme = world.orgs["acme"]
    response = admin_client.post(
        "/admin/video-api/tokens/new/", {"name": "sync", "organization_id": acme.pk}, follow=True
    )
    assert response.status_code == 200
    [plain] = TOKEN.findall(response.content.decode())
    token = ApiToken.objects.get()
    assert (token.organization_id, token.name, token.token_hash) == (acme.pk, "sync", ApiToken.hash(plain))
    listing = admin_client.get("/admin/video-api/tokens/").content.decode()
    assert "sync" in listing and plain not in listing


@pytest.mark.django_db
def test_a_new_token_is_shown_in_the_response_and_never_put_in_a_cookie(admin_client, world):
    """Django's default message storage is a signed but readable cookie: a token shown as a message would sit
    in the browser's cookie jar and travel with every request until displayed."""
    response = admin_client.post(
        "/admin/video-api/tokens/new/", {"name": "sync", "organization_id": world.orgs["acme"].pk}
    )
    token = ApiToken.objects.get()
    # What the response set and what the browser now holds, as anyone holding the cookies reads them.
    cookies = {morsel.key: readable_cookie(morsel.value) for morsel in response.cookies.values()}
    cookies |= {morsel.key: readable_cookie(morsel.value) for morsel in admin_client.cookies.values()}
    leaked = [
        name for name, text in cookies.items() if token.token_hash in map(ApiToken.hash, TOKEN.findall(text))
    ]
    assert leaked == [], cookies
    assert response.status_code == 200
    page = response.content.decode()
    [plain] = TOKEN.findall(page)
    assert ApiToken.hash(plain) == token.token_hash and page.count(plain) == 1
    assert "no-store" in response["Cache-Control"]
    # Shown exactly once: no later page (where a stored message would surface) shows it again.
    for path in ["/admin/video-api/tokens/", "/admin/"]:
        assert plain not in admin_client.get(path).content.decode()


def readable_cookie(value: str) -> str:
    """A cookie's value as anyone holding it reads it: Django's signed cookies are base64 (zlib-compressed
    when that is shorter) followed by a signature, not encrypted."""
    payload = value.split(":", 1)[0]
    try:
        data = base64.urlsafe_b64decode(payload.removeprefix(".") + "==")
        return value + (zlib.decompress(data) if payload.startswith(".") else data).decode("utf-8", "replace")
    except (ValueError, zlib.error):
        return value


@pytest.mark.django_db
def test_a_webhook_is_registered_and_its_secret_shown_for_verification(admin_client, world):
    acme = world.orgs["acme"]
    response = admin_client.post(
        "/admin/video-api/webhooks/new/",
        {
            "url": "https://shop.example/hooks",
            "events": ["video.succeeded"],
            "is_active": "on",
            "organization_id": acme.pk,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.organization_id, endpoint.events) == (acme.pk, ["video.succeeded"])
    edit = admin_client.get(f"/admin/video-api/webhooks/edit/{endpoint.pk}/").content.decode()
    assert endpoint.secret in edit


@pytest.mark.django_db
def test_screens_show_only_the_users_organizations(client, world):
    acme, bluebird = world.orgs["acme"], world.orgs["bluebird"]
    ApiToken.issue(acme.pk, "acme-token")
    ApiToken.issue(bluebird.pk, "bluebird-token")
    foreign = WebhookEndpoint.objects.create(organization_id=bluebird.pk, url="https://b.example/", events=[])
    owner = world.users[("owner", "acme")]
    # The host decides who opens the screens (Wagtail model permissions); the tenancy decides what they see.
    from django.contrib.auth.models import Permission

    owner.user_permissions.add(*Permission.objects.filter(content_type__app_label="video_plugin"))
    owner.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(owner)
    listing = client.get("/admin/video-api/tokens/").content.decode()
    assert "acme-token" in listing and "bluebird-token" not in listing
    # Wagtail's answer to a permission it does not grant: back to the dashboard, with a message.
    refused = client.get(f"/admin/video-api/webhooks/edit/{foreign.pk}/")
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    form = client.get("/admin/video-api/tokens/new/").content.decode()
    assert "Acme" in form and "Bluebird" not in form


@pytest.mark.django_db
def test_the_delivery_log_is_listed_and_read_only(admin_client, world):
    endpoint = WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url="https://a.example/hook", events=["video.failed"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        organization_id=endpoint.organization_id,
        event="video.failed",
        payload={"type": "video.failed"},
        attempts=2,
        last_status_code=503,
        last_error="HTTP 503: busy",
    )
    listing = admin_client.get("/admin/video-api/deliveries/").content.decode()
    assert "HTTP 503: busy" in listing and "https://a.example/hook" in listing
    inspect = admin_client.get(f"/admin/video-api/deliveries/inspect/{delivery.pk}/")
    assert inspect.status_code == 200 and delivery.delivery_id in inspect.content.decode()
    refused = admin_client.get("/admin/video-api/deliveries/new/")  # read only: nobody adds a delivery
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
