"""Who may generate and read job status: owners, admins and superusers; not editors, outsiders or visitors."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from video_plugin.models import VideoJob
from video_plugin.tenancy import get_tenancy


def generate_url(page):
    return reverse("video_plugin:generate", args=[page.pk])


def status_url(page):
    return reverse("video_plugin:status", args=[page.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (("owner", "acme"), 202),
        (("admin", "acme"), 202),
        (("editor", "acme"), 403),
        (("owner", "bluebird"), 403),
        ("outsider", 403),
        ("superuser", 202),
    ],
)
def test_generate_permissions(world, client, sent_renders, who, expected, django_capture_on_commit_callbacks):
    user = {"outsider": world.outsider, "superuser": world.superuser}.get(who) or world.users[who]
    # The outsider has no Wagtail access at all; give it some so the view's own check is what refuses.
    if who == "outsider":
        from django.contrib.auth.models import Permission

        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(generate_url(world.product["acme"]))
    assert response.status_code == expected
    assert VideoJob.objects.exists() == (expected == 202)
    assert len(sent_renders()) == (expected == 202)
    if expected == 202:
        assert response.json()["job"]["status"] == "queued"


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(world, client):
    response = client.post(generate_url(world.product["acme"]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not VideoJob.objects.exists()


@pytest.mark.django_db
def test_generate_needs_a_csrf_token_and_post(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[("owner", "acme")])
    assert client.post(generate_url(world.product["acme"])).status_code == 403
    assert not VideoJob.objects.exists()

    client.get(reverse("wagtailadmin_pages:edit", args=[world.product["acme"].pk]))
    token = client.cookies["csrftoken"].value
    response = client.post(generate_url(world.product["acme"]), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 202
    assert client.get(generate_url(world.product["acme"])).status_code == 405


@pytest.mark.django_db
def test_status_is_for_members_only(world, client, sent_renders, django_capture_on_commit_callbacks):
    page = world.product["acme"]
    client.force_login(world.users[("editor", "acme")])
    assert client.get(status_url(page)).json()["job"] is None
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(generate_url(page))
    assert refused.status_code == 403
    assert refused.json()["error"] == f"only {get_tenancy().who_may_generate} can generate videos"
    assert not VideoJob.objects.exists() and sent_renders() == []
    assert client.get(status_url(page)).json()["job"] is None
    client.force_login(world.users[("owner", "acme")])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(generate_url(page)).status_code == 202
    assert len(sent_renders()) == 1
    assert client.get(status_url(page)).json()["job"]["status"] == "queued"
    client.force_login(world.users[("owner", "bluebird")])
    assert client.get(status_url(page)).status_code == 403


@pytest.mark.django_db
def test_panel_shows_the_button_to_owners_but_not_to_editors(world, client):
    page = world.product["acme"]
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    client.force_login(world.users[("owner", "acme")])
    html = client.get(edit_url).content.decode()
    assert 'data-controller="aivideo-panel"' in html and "Generate video" in html
    assert "video_plugin/js/video-panel-controller.js" in html
    client.force_login(world.users[("editor", "acme")])
    html = client.get(edit_url).content.decode()
    assert 'data-controller="aivideo-panel"' in html and "Generate video" not in html
