"""Webhook security, claim 5 of issue 7 part 4.

- Signatures can be verified with an off-the-shelf library: a real delivery, received over HTTP, verifies with
  the published ``standardwebhooks`` library (Standard Webhooks); a wrong secret, a tampered body, id or
  timestamp, and a request replayed more than five minutes later fail.
- Secrets stay secret: no log line, delivery log row or delivery log page holds an endpoint's signing secret
  (current, the one a rotation replaced, or the one from before Standard Webhooks), and the endpoint's edit
  page shows the current secret only.
- No SSRF: URLs pointing at private, loopback or link-local addresses are refused when the endpoint is saved
  (a form error the owner can act on) and again at delivery, against the address actually connected to
  (DNS can change after saving), unless ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is on. IPv6 addresses carrying a
  private IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible) are private too.
- No passwords in URLs: a URL with a user name or password is refused when saved; one saved before gets no
  delivery, and no screen, delivery log or log line shows its password.
- Only owners and admins of acme register acme's webhooks (another organization's owner and admin cannot
  pick acme; editors and anonymous visitors cannot open the form).
"""

from __future__ import annotations

import base64
import binascii
import importlib
import secrets
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from standardwebhooks import Webhook, WebhookVerificationError

from tests.security.conftest import client_as, finished_video
from video_plugin.models import WebhookDelivery, WebhookEndpoint
from video_plugin.webhooks.delivery import deliver, queue_deliveries
from video_plugin.webhooks.destinations import is_public_address
from video_plugin.webhooks.redaction import has_credentials, redacted_url

pytestmark = pytest.mark.django_db


def library_verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's whole check: the ``standardwebhooks`` library, as its README shows it."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class Receiver:
    """An HTTP server on loopback recording each POST's headers and raw body. It answers 204, or the statuses
    in ``refuse_with`` first, echoing the request's headers back in the refusal as some servers do."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.refuse_with: list[int] = []
        received, refuse_with = self.requests, self.refuse_with

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                # Names lowercased: HTTP's are case-insensitive, and urllib sends "Webhook-id".
                received.append(({name.lower(): value for name, value in self.headers.items()}, body))
                if refuse_with:
                    self.send_response(refuse_with.pop(0))
                    self.end_headers()
                    self.wfile.write(str(self.headers).encode())
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def allow_private(settings, allowed: bool) -> None:
    settings.WAGTAIL_VIDEO = {
        **settings.WAGTAIL_VIDEO,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": allowed,
        "WEBHOOK_MAX_ATTEMPTS": 1,
    }


def delivery_to(world, url: str) -> WebhookDelivery:
    """A pending delivery of acme's video to ``url``, saved as if DNS had answered otherwise at save time."""
    endpoint = WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url=url, events=["video.succeeded"]
    )
    [delivery] = queue_deliveries(finished_video(world.product["acme"]))
    assert delivery.endpoint == endpoint
    return delivery


def register_webhook(world, actor: str, url: str):
    """``actor`` submits the admin's new-webhook form for acme."""
    return client_as(world, actor).post(
        "/admin/video-api/webhooks/new/",
        {
            "url": url,
            "events": ["video.succeeded"],
            "is_active": "on",
            "organization_id": world.orgs["acme"].pk,
        },
    )


class SixMinutesLater(datetime):
    """The receiving library's clock, six minutes after the delivery: a replay."""

    @classmethod
    def now(cls, tz=None) -> datetime:
        return datetime.now(tz) + timedelta(minutes=6)


def test_a_delivered_request_verifies_with_the_standardwebhooks_library_and_tampering_fails(
    world, settings, receiver, monkeypatch
):
    allow_private(settings, True)
    delivery = delivery_to(world, receiver.url)
    assert deliver(delivery.delivery_id).status == WebhookDelivery.Status.SUCCEEDED
    [(headers, body)] = receiver.requests
    secret = delivery.endpoint.secret
    assert Webhook(secret).verify(body, headers)["id"] == delivery.delivery_id
    assert headers["webhook-id"] == delivery.delivery_id
    other_key = base64.b64encode(secrets.token_bytes(32)).decode()
    assert not library_verifies("whsec_" + other_key, headers, body)
    assert not library_verifies(secret, headers, body.replace(b"succeeded", b"failed"))
    assert not library_verifies(secret, headers, body + b" ")
    assert not library_verifies(secret, {**headers, "webhook-id": "another-delivery"}, body)
    stamp = int(headers["webhook-timestamp"])
    assert not library_verifies(secret, {**headers, "webhook-timestamp": str(stamp + 1)}, body)
    monkeypatch.setattr("standardwebhooks.webhooks.datetime", SixMinutesLater)
    assert not library_verifies(secret, headers, body), "a replay six minutes later is refused"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1"]
    + ["fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1"],
)
def test_private_loopback_and_link_local_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"),
        ("64:ff9b::a00:5", "NAT64 of 10.0.0.5"),
        ("64:ff9b:1::808:808", "local-use NAT64, even of a public address"),
        ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
        ("2002:c0a8:101::", "6to4 of 192.168.1.1"),
        ("2002:a9fe:a9fe::1", "6to4 of 169.254.169.254"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo, client 127.0.0.1"),
        ("::7f00:1", "IPv4-compatible 127.0.0.1"),
        ("::a9fe:a9fe", "IPv4-compatible 169.254.169.254"),
    ],
)
def test_ipv6_addresses_embedding_a_private_ipv4_address_are_not_public(address, embedded):
    assert not is_public_address(address), embedded


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_internet_addresses_are_public(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://[::1]:8000/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[2002:7f00:1::1]:6379/",
        "http://localhost:8000/hook",
        "ftp://files.example/hook",
    ],
)
def test_private_urls_are_refused_when_saved(world, settings, url):
    allow_private(settings, False)
    endpoint = WebhookEndpoint(organization_id=world.orgs["acme"].pk, url=url, events=["video.succeeded"])
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    assert "url" in refused.value.message_dict
    response = register_webhook(world, "owner", url)
    assert response.status_code == 200  # the form again, with the error
    fix = "must start with http" if url.startswith("ftp") else "WEBHOOK_ALLOW_PRIVATE_NETWORKS"
    assert fix in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_private_urls_are_accepted_when_the_setting_allows_them(world, settings):
    allow_private(settings, True)
    url = "http://127.0.0.1:9/hook"
    endpoint = WebhookEndpoint(organization_id=world.orgs["acme"].pk, url=url, events=["video.succeeded"])
    endpoint.full_clean()  # raises ValidationError if refused
    response = register_webhook(world, "owner", url)
    assert response.status_code == 302, response.content[:2000]
    assert WebhookEndpoint.objects.get().url == url


def test_delivery_refuses_a_private_address_even_if_saved_before(world, settings, receiver):
    allow_private(settings, False)
    delivery = deliver(delivery_to(world, receiver.url).delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "private address 127.0.0.1" in delivery.last_error
    assert receiver.requests == []


def test_delivery_to_a_name_that_resolves_to_loopback_is_refused(world, settings, receiver):
    """A public-looking name whose DNS answer is private (here ``localhost``) is checked after resolution."""
    allow_private(settings, False)
    url = receiver.url.replace("127.0.0.1", "localhost")
    delivery = deliver(delivery_to(world, url).delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "private address" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.parametrize("actor", ["other_org_owner", "other_org_admin"])
def test_another_organization_cannot_register_a_webhook_for_acme(world, actor):
    response = register_webhook(world, actor, "https://hooks.example/")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("actor", ["editor", "anonymous"])
def test_editors_and_anonymous_visitors_cannot_register_webhooks(world, actor):
    response = client_as(world, actor).post(
        "/admin/video-api/webhooks/new/",
        {
            "url": "https://hooks.example/",
            "events": ["video.succeeded"],
            "organization_id": world.orgs["acme"].pk,
        },
    )
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()


PASSWORD = "hunter2-s3cret"


@pytest.mark.parametrize("allowed", [False, True], ids=["private-refused", "private-allowed"])
@pytest.mark.parametrize(
    "url", [f"https://hooks:{PASSWORD}@hooks.example/video", f"https://{PASSWORD}@hooks.example/video"]
)
def test_urls_with_a_user_name_or_password_are_refused_when_saved(world, settings, url, allowed):
    allow_private(settings, allowed)
    endpoint = WebhookEndpoint(organization_id=world.orgs["acme"].pk, url=url, events=["video.succeeded"])
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    [message] = refused.value.message_dict["url"]
    assert "user name or password" in message and "signing secret" in message
    assert PASSWORD not in message
    response = register_webhook(world, "owner", url)
    assert response.status_code == 200
    assert "signing secret (shown on its edit page) instead" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_url_saved_with_a_password_gets_no_delivery_and_its_password_is_shown_and_logged_nowhere(
    world, settings, receiver, caplog
):
    """An endpoint saved before the rule (or written directly): the receiver is reachable, and still nothing
    is sent, the delivery log says why, and no screen or log line holds the password."""
    allow_private(settings, True)
    url = receiver.url.replace("http://", f"http://hooks:{PASSWORD}@")
    delivery = delivery_to(world, url)
    with caplog.at_level("DEBUG"), caplog.at_level("DEBUG", logger="video_plugin"):
        delivery = deliver(delivery.delivery_id)
    assert receiver.requests == []
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "user name or password" in delivery.last_error and PASSWORD not in delivery.last_error
    assert caplog.records and PASSWORD not in caplog.text
    assert PASSWORD not in str(delivery) and PASSWORD not in str(delivery.endpoint)
    admin = client_as(world, "owner")
    endpoint = delivery.endpoint
    for page in [
        "/admin/video-api/webhooks/",
        f"/admin/video-api/webhooks/edit/{endpoint.pk}/",
        f"/admin/video-api/webhooks/delete/{endpoint.pk}/",
        "/admin/video-api/deliveries/",
        f"/admin/video-api/deliveries/inspect/{delivery.pk}/",
    ]:
        response = admin.get(page)
        assert response.status_code == 200, page
        assert PASSWORD not in response.content.decode(), page
        assert receiver.url.removeprefix("http://") in response.content.decode(), page


def test_saving_an_endpoint_that_has_a_password_removes_it(world, settings):
    allow_private(settings, False)
    endpoint = WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk,
        url=f"https://hooks:{PASSWORD}@hooks.example/video",
        events=["video.succeeded"],
    )
    admin = client_as(world, "owner")
    edit = admin.get(f"/admin/video-api/webhooks/edit/{endpoint.pk}/").content.decode()
    assert 'value="https://hooks.example/video"' in edit
    response = admin.post(
        f"/admin/video-api/webhooks/edit/{endpoint.pk}/",
        {"url": "https://hooks.example/video", "events": ["video.succeeded"], "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example/video"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@hooks.example/x?a=b@c", "https://hooks.example/x?a=b@c"),
        ("https://user@hooks.example:8443/x", "https://hooks.example:8443/x"),
        ("https://us:p@ss@hooks.example/", "https://hooks.example/"),
        ("http://u:p@[::1/", "http://[::1/"),  # malformed: urlsplit would raise, a log line must not
        ("https://hooks.example/x@y", "https://hooks.example/x@y"),
    ],
)
def test_a_url_is_shown_without_its_credentials(url, shown):
    assert redacted_url(url) == shown
    assert has_credentials(url) == (url != shown)


# The migration that gave endpoints created before Standard Webhooks their whsec_ secret.
standard_secrets_migration = importlib.import_module(
    "video_plugin.migrations.0007_webhook_standard_signing_secrets"
)


def every_form_of(secret: str) -> set[str]:
    """A secret as text, its base64 part, and its key as hex and URL-safe base64: how it might leak."""
    forms = {secret, secret.removeprefix("whsec_")}
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:  # the old strings were no base64
        return forms
    return forms | {key.hex(), base64.urlsafe_b64encode(key).decode().rstrip("=")}


def test_no_log_line_delivery_row_or_delivery_page_holds_a_signing_secret(
    world, settings, receiver, stub_broker, caplog
):
    """An endpoint from before Standard Webhooks, rotated in the admin, so three secrets sign each attempt:
    the new one, the one it replaced, and the old string for the old headers. Its receiver refuses twice,
    echoing our headers back; every log line, the delivery row and the admin's pages are searched."""
    allow_private(settings, True)
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "WEBHOOK_MAX_ATTEMPTS": 2}
    old_string = "whsec_" + secrets.token_urlsafe(32)  # how secrets were made before the standard
    endpoint = WebhookEndpoint.objects.create(
        organization_id=world.orgs["acme"].pk, url=receiver.url, events=["video.succeeded"], secret=old_string
    )
    standard_secrets_migration.to_standard_secrets(apps, None)
    endpoint.refresh_from_db()
    replaced = endpoint.secret
    admin = client_as(world, "owner")
    edit_url = f"/admin/video-api/webhooks/edit/{endpoint.pk}/"
    rotated = admin.post(
        edit_url,
        {"url": receiver.url, "events": ["video.succeeded"], "is_active": "on", "rotate_secret": "on"},
    )
    assert rotated.status_code == 302, rotated.content[:2000]
    endpoint.refresh_from_db()
    current = endpoint.secret
    assert current != replaced and endpoint.previous_secret == replaced
    assert endpoint.legacy_secret == old_string

    [delivery] = queue_deliveries(finished_video(world.product["acme"]))
    receiver.refuse_with.extend([500, 400])
    with caplog.at_level("DEBUG"), caplog.at_level("DEBUG", logger="video_plugin"):
        assert deliver(delivery.delivery_id).status == WebhookDelivery.Status.PENDING
        assert deliver(delivery.delivery_id).status == WebhookDelivery.Status.FAILED
    assert len(receiver.requests) == 2
    headers, body = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2 and "x-video-webhook-signature" in headers
    assert library_verifies(current, headers, body) and library_verifies(replaced, headers, body)
    delivery.refresh_from_db()
    assert "x-video-webhook-signature" in delivery.last_error.lower(), "the echo reached the delivery log"

    pages = {
        page: admin.get(page)
        for page in [
            "/admin/video-api/webhooks/",
            "/admin/video-api/deliveries/",
            f"/admin/video-api/deliveries/inspect/{delivery.pk}/",
            edit_url,
        ]
    }
    assert all(response.status_code == 200 for response in pages.values())
    edit_page = pages.pop(edit_url).content.decode()
    row = " ".join(str(getattr(delivery, field.attname)) for field in WebhookDelivery._meta.concrete_fields)
    assert caplog.records, "the failed attempts were logged"
    for secret in (current, replaced, old_string):
        for form in every_form_of(secret):
            assert form not in caplog.text
            assert form not in row
            for page, response in pages.items():
                assert form not in response.content.decode(), page
    assert current in edit_page, "the edit page shows the secret receivers need"
    assert replaced not in edit_page and old_string not in edit_page
    assert "also carry the old X-Video-Webhook-* headers" in edit_page
    assert "The secret replaced by the last rotation signs too, until" in edit_page
