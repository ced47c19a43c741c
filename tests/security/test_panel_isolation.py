"""Security of the editor panel's JSON views (``/admin/video/pages/…``), claims 1 and 2 of issue 7 part 4,
under the shop's tenancy and the plugin's default (``tenant``, see ``conftest``).

- Isolation: someone who may generate elsewhere but not for this page (another organization's owner or admin;
  a producer of another section, or of none) and an anonymous visitor get nothing from any panel view of the
  page: status, generate, cancel, choose current, script, face check, voice preview, layout preview. They
  answer 403 (anonymous: a redirect to the login) with no job, script or URL.
- Permissions: the viewer (acme's editor; a page editor without ``generate_video``) reads (status, script,
  face check) but cannot generate, cancel, choose the current video or preview voices; the generators can.
- Cross-object tricks fail: a job id of another page, an image the user may not choose.
- CSRF: every state-changing view refuses a POST without Django's CSRF token with 403, even from a generator.
"""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import GENERATORS, MAY_NOT_GENERATE, TENANT_OUTSIDERS, finished_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob
from video_plugin.tenancy import get_tenancy

pytestmark = pytest.mark.django_db


def panel_urls(page_id: int, job_id: str, image_id: int) -> dict[str, tuple[str, str]]:
    """Every panel view of a page: name → (method, URL)."""
    base = f"/admin/video/pages/{page_id}"
    return {
        "status": ("get", f"{base}/status/"),
        "script": ("get", f"{base}/script/?tone=friendly"),
        "face_check": ("get", f"{base}/face-check/?image_id={image_id}"),
        "layout_preview": ("get", f"{base}/layout-preview/?layout=presenter&format=landscape"),
        "generate": ("post", f"{base}/generate/"),
        "voice_preview": ("post", f"{base}/voice-preview/"),
        "cancel": ("post", f"{base}/jobs/{job_id}/cancel/"),
        "make_current": ("post", f"{base}/jobs/{job_id}/current/"),
    }


READ_VIEWS = ("status", "script", "face_check", "layout_preview")
CHANGE_VIEWS = ("generate", "voice_preview", "cancel", "make_current")


def call(client, method: str, url: str):
    if method == "post":
        return client.post(url, json.dumps({}), content_type="application/json")
    return client.get(url)


def assert_refused(response, part: str, secrets: list[str]) -> None:
    """403 (or, for nobody logged in, a redirect to the login page), and none of ``secrets`` in the body."""
    if part == "anonymous":
        assert response.status_code == 302, response.content[:300]
        assert response["Location"].startswith("/admin/login/")
    else:
        assert response.status_code == 403, response.content[:300]
    body = response.content.decode()
    for secret in secrets:
        assert secret not in body


@pytest.fixture
def page_setup(tenant):
    """The page with a finished video and a newer job in flight."""
    finished = finished_video(tenant.page)
    # A different script, so that the job is not served by the finished twin.
    in_flight = request_video(tenant.page, None, VideoJob.Trigger.EDITOR, script="A second take.")
    return finished, in_flight


@pytest.mark.parametrize("part", TENANT_OUTSIDERS)
@pytest.mark.parametrize("view", [*READ_VIEWS, *CHANGE_VIEWS])
def test_outsiders_and_anonymous_get_nothing_from_any_panel_view(tenant, page_setup, part, view):
    finished, in_flight = page_setup
    job = in_flight if view == "cancel" else finished
    method, url = panel_urls(tenant.page.pk, job.job_id, tenant.presenter.pk)[view]
    response = call(tenant.client(part), method, url)
    assert_refused(response, part, [finished.job_id, in_flight.job_id, finished.media.file.name, "Lamp"])
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.QUEUED
    assert VideoJob.objects.filter(page=tenant.page).count() == 2
    assert VideoJob.objects.get(is_current=True, page=tenant.page) == finished


@pytest.mark.parametrize("view", CHANGE_VIEWS)
def test_a_viewer_cannot_change_anything_and_is_told_who_can(tenant, page_setup, view):
    finished, in_flight = page_setup
    job = in_flight if view == "cancel" else finished
    method, url = panel_urls(tenant.page.pk, job.job_id, tenant.presenter.pk)[view]
    response = call(tenant.client("viewer"), method, url)
    assert response.status_code == 403, response.content[:300]
    # str(): a tenancy may name them with a lazy translation.
    assert str(get_tenancy().who_may_generate) in response.json()["error"]
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.QUEUED
    assert VideoJob.objects.filter(page=tenant.page).count() == 2


@pytest.mark.parametrize("view", READ_VIEWS)
def test_a_viewer_reads_the_panel(tenant, page_setup, view):
    finished, in_flight = page_setup
    method, url = panel_urls(tenant.page.pk, finished.job_id, tenant.presenter.pk)[view]
    response = call(tenant.client("viewer"), method, url)
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("part", GENERATORS)
def test_generators_cancel_and_choose(tenant, page_setup, part):
    finished, in_flight = page_setup
    client = tenant.client(part)
    urls = panel_urls(tenant.page.pk, in_flight.job_id, tenant.presenter.pk)
    assert call(client, *urls["cancel"]).status_code == 200
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.CANCELLED
    newer = finished_video(tenant.page)
    assert VideoJob.objects.get(page=tenant.page, is_current=True) == newer
    urls = panel_urls(tenant.page.pk, finished.job_id, tenant.presenter.pk)
    if tenant.name == "shop":  # owners and admins may publish their organization's pages
        assert call(client, *urls["make_current"]).status_code == 200
        assert VideoJob.objects.get(page=tenant.page, is_current=True) == finished
    else:  # the default tenancy's producers may edit the page but not publish it, so not change it live
        assert call(client, *urls["make_current"]).status_code == 403
        assert VideoJob.objects.get(page=tenant.page, is_current=True) == newer


def test_a_job_of_another_page_is_not_reached_through_ones_own_page(tenant):
    other_job = request_video(tenant.other_page, None, VideoJob.Trigger.EDITOR)
    client = tenant.client("generator")
    for action in ("cancel", "current"):
        response = client.post(f"/admin/video/pages/{tenant.page.pk}/jobs/{other_job.job_id}/{action}/")
        assert response.status_code == 404
    other_job.refresh_from_db()
    assert other_job.status == VideoJob.Status.QUEUED


def test_an_image_the_user_may_not_choose_cannot_be_used_or_checked(tenant):
    page, foreign_image = tenant.page, tenant.foreign_image
    client = tenant.client("generator")
    response = client.post(
        f"/admin/video/pages/{page.pk}/generate/",
        json.dumps({"image_id": foreign_image.pk}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not in a collection you can use" in response.json()["error"]
    assert not VideoJob.objects.filter(image=foreign_image).exists()
    response = client.get(f"/admin/video/pages/{page.pk}/face-check/?image_id={foreign_image.pk}")
    assert response.status_code == 400


@pytest.mark.parametrize("view", CHANGE_VIEWS)
def test_state_changing_views_need_the_csrf_token(tenant, page_setup, view):
    finished, in_flight = page_setup
    job = in_flight if view == "cancel" else finished
    _, url = panel_urls(tenant.page.pk, job.job_id, tenant.presenter.pk)[view]
    response = tenant.client("generator", enforce_csrf=True).post(url, "{}", content_type="application/json")
    assert response.status_code == 403
    assert b"CSRF" in response.content
    in_flight.refresh_from_db()
    assert in_flight.status == VideoJob.Status.QUEUED
    assert VideoJob.objects.filter(page=tenant.page).count() == 2


def test_the_same_post_with_the_csrf_token_is_accepted(tenant):
    """The control for the CSRF test: the refusal is the missing token, not the request."""
    client = tenant.client("generator", enforce_csrf=True)
    client.get(f"/admin/pages/{tenant.page.pk}/edit/")  # sets the csrftoken cookie, as the editor page does
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/admin/video/pages/{tenant.page.pk}/generate/",
        "{}",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 202, response.content[:300]


@pytest.mark.parametrize("part", MAY_NOT_GENERATE)
def test_nobody_but_the_generators_generates(tenant, part):
    response = call(tenant.client(part), "post", f"/admin/video/pages/{tenant.page.pk}/generate/")
    assert_refused(response, part, [])
    assert not VideoJob.objects.filter(page=tenant.page).exists()


@pytest.mark.parametrize("part", GENERATORS)
def test_the_generators_generate(tenant, part):
    """The control for the test above."""
    response = call(tenant.client(part), "post", f"/admin/video/pages/{tenant.page.pk}/generate/")
    assert response.status_code == 202, response.content[:300]
    assert VideoJob.objects.filter(page=tenant.page).count() == 1
