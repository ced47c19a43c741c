"""Security of the editor panel's JSON views (``/admin/video/pages/…``), claims 1 and 2 of issue 7 part 4.

- Organization isolation: a member of another organization (owner or admin there) and an anonymous visitor
  get nothing from any panel view of acme's page: status, generate, cancel, choose current, script, face
  check, voice preview. They answer 403 (anonymous: a redirect to the login) with no job, script or URL.
- Roles: acme's editor reads (status, script, face check) but cannot generate, cancel, choose the current
  video or preview voices; acme's owner and admin can.
- Cross-object tricks fail: a job id of another page, an image of another organization.
- CSRF: every state-changing view refuses a POST without Django's CSRF token with 403, even from an owner.
"""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import NOT_ALLOWED_TO_CHANGE, OUTSIDERS, client_as, finished_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = pytest.mark.django_db


def panel_urls(page_id: int, job_id: str, image_id: int) -> dict[str, tuple[str, str]]:
    """Every panel view of a page: name → (method, URL)."""
    base = f"/admin/video/pages/{page_id}"
    return {
        "status": ("get", f"{base}/status/"),
        "script": ("get", f"{base}/script/?tone=friendly"),
        "face_check": ("get", f"{base}/face-check/?image_id={image_id}"),
        "generate": ("post", f"{base}/generate/"),
        "voice_preview": ("post", f"{base}/voice-preview/"),
        "cancel": ("post", f"{base}/jobs/{job_id}/cancel/"),
        "make_current": ("post", f"{base}/jobs/{job_id}/current/"),
    }


READ_VIEWS = ("status", "script", "face_check")
CHANGE_VIEWS = ("generate", "voice_preview", "cancel", "make_current")


def call(client, method: str, url: str):
    if method == "post":
        return client.post(url, json.dumps({}), content_type="application/json")
    return client.get(url)


def assert_refused(response, actor: str, secrets: list[str]) -> None:
    """403 (or, for nobody logged in, a redirect to the login page), and none of ``secrets`` in the body."""
    if actor == "anonymous":
        assert response.status_code == 302, response.content[:300]
        assert response["Location"].startswith("/admin/login/")
    else:
        assert response.status_code == 403, response.content[:300]
    body = response.content.decode()
    for secret in secrets:
        assert secret not in body


@pytest.fixture
def acme_setup(world):
    """acme's page with a finished video and a newer job in flight, and acme's presenter image."""
    page = world.product["acme"]
    finished = finished_video(page)
    # A different script, so that the job is not served by the finished twin.
    in_flight = request_video(page, None, VideoJob.Trigger.EDITOR, script="A second take.")
    image = world.orgs["acme"].default_presenter_image
    return page, finished, in_flight, image


@pytest.mark.parametrize("actor", OUTSIDERS)
@pytest.mark.parametrize("view", [*READ_VIEWS, *CHANGE_VIEWS])
def test_other_organizations_and_anonymous_get_nothing_from_any_panel_view(world, acme_setup, actor, view):
    page, finished, in_flight, image = acme_setup
    job = in_flight if view == "cancel" else finished
    method, url = panel_urls(page.pk, job.job_id, image.pk)[view]
    response = call(client_as(world, actor), method, url)
    assert_refused(response, actor, [finished.job_id, in_flight.job_id, finished.media.file.name, "Lamp"])
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.QUEUED
    assert VideoJob.objects.filter(page=page).count() == 2
    assert VideoJob.objects.get(is_current=True, page=page) == finished


@pytest.mark.parametrize("view", CHANGE_VIEWS)
def test_an_editor_cannot_change_anything(world, acme_setup, view):
    page, finished, in_flight, image = acme_setup
    job = in_flight if view == "cancel" else finished
    method, url = panel_urls(page.pk, job.job_id, image.pk)[view]
    response = call(client_as(world, "editor"), method, url)
    assert response.status_code == 403, response.content[:300]
    assert "owners and admins" in response.json()["error"]
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.QUEUED
    assert VideoJob.objects.filter(page=page).count() == 2


@pytest.mark.parametrize("view", READ_VIEWS)
def test_an_editor_reads_the_panel(world, acme_setup, view):
    page, finished, in_flight, image = acme_setup
    method, url = panel_urls(page.pk, finished.job_id, image.pk)[view]
    response = call(client_as(world, "editor"), method, url)
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("actor", ["owner", "admin"])
def test_owners_and_admins_cancel_and_choose(world, acme_setup, actor):
    page, finished, in_flight, image = acme_setup
    client = client_as(world, actor)
    urls = panel_urls(page.pk, in_flight.job_id, image.pk)
    assert call(client, *urls["cancel"]).status_code == 200
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.CANCELLED
    newer = finished_video(page)
    urls = panel_urls(page.pk, finished.job_id, image.pk)
    assert call(client, *urls["make_current"]).status_code == 200
    assert VideoJob.objects.get(page=page, is_current=True) == finished
    assert newer.pk != finished.pk


def test_a_job_of_another_organization_is_not_reached_through_ones_own_page(world):
    bluebird_job = request_video(world.product["bluebird"], None, VideoJob.Trigger.EDITOR)
    acme_page = world.product["acme"]
    client = client_as(world, "owner")
    for action in ("cancel", "current"):
        response = client.post(f"/admin/video/pages/{acme_page.pk}/jobs/{bluebird_job.job_id}/{action}/")
        assert response.status_code == 404
    bluebird_job.refresh_from_db()
    assert bluebird_job.status == VideoJob.Status.QUEUED


def test_an_image_of_another_organization_cannot_be_used_or_checked(world):
    bluebird_image = world.orgs["bluebird"].default_presenter_image
    page = world.product["acme"]
    client = client_as(world, "owner")
    response = client.post(
        f"/admin/video/pages/{page.pk}/generate/",
        json.dumps({"image_id": bluebird_image.pk}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not in a collection you can use" in response.json()["error"]
    assert not VideoJob.objects.filter(image=bluebird_image).exists()
    response = client.get(f"/admin/video/pages/{page.pk}/face-check/?image_id={bluebird_image.pk}")
    assert response.status_code == 400


@pytest.mark.parametrize("view", CHANGE_VIEWS)
def test_state_changing_views_need_the_csrf_token(world, acme_setup, view):
    page, finished, in_flight, image = acme_setup
    job = in_flight if view == "cancel" else finished
    _, url = panel_urls(page.pk, job.job_id, image.pk)[view]
    response = client_as(world, "owner", enforce_csrf=True).post(url, "{}", content_type="application/json")
    assert response.status_code == 403
    assert b"CSRF" in response.content
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.QUEUED
    assert VideoJob.objects.filter(page=page).count() == 2


def test_the_same_post_with_the_csrf_token_is_accepted(world):
    """The control for the CSRF test: the refusal is the missing token, not the request."""
    page = world.product["acme"]
    client = client_as(world, "owner", enforce_csrf=True)
    client.get(f"/admin/pages/{page.pk}/edit/")  # sets the csrftoken cookie, as the editor page does
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/admin/video/pages/{page.pk}/generate/",
        "{}",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 202, response.content[:300]


@pytest.mark.parametrize("actor", NOT_ALLOWED_TO_CHANGE)
def test_nobody_but_owners_and_admins_generates(world, actor):
    page = world.product["acme"]
    response = call(client_as(world, actor), "post", f"/admin/video/pages/{page.pk}/generate/")
    assert response.status_code in (302, 403)
    assert not VideoJob.objects.filter(page=page).exists()
