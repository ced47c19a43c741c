"""The editor's Generate button, from the page editor through the runner to the panel's status."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from shop.models import Organization, ProductPage
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def logged_in(username: str, password: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")  # sets the CSRF cookie, as a browser's first visit does
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/admin/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302, f"{username} could not log in"
    return client


def open_editor(client: Client, page: ProductPage) -> str:
    response = client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    return response.content.decode()


def csrf_header(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


@pytest.fixture
def catalogue():
    call_command("seed_demo", stdout=io.StringIO())
    organization = Organization.objects.get(slug="acme")
    page = ProductPage.objects.descendant_of(organization.index_page).live().first()
    return organization, page


def test_an_admin_clicks_generate_and_the_panel_shows_the_finished_video(stack, catalogue):
    organization, page = catalogue
    client = logged_in("admin-acme", "demo-admin-acme")
    editor_html = open_editor(client, page)
    generate_url = re.search(r'data-aivideo-panel-generate-url-value="([^"]+)"', editor_html)[1]
    assert "Generate video" in editor_html

    # Without the CSRF token the click is refused; with it, the job is queued.
    assert client.post(generate_url).status_code == 403
    response = client.post(generate_url, **csrf_header(client))
    assert response.status_code == 202
    job_id = response.json()["job"]["job_id"]

    job = stack.wait_for_job(lambda job: job.job_id == job_id and job.is_terminal)
    assert job.status == VideoJob.Status.SUCCEEDED, (job.error_code, job.error_message, stack.tail_logs())
    assert job.trigger == VideoJob.Trigger.EDITOR and job.requested_by.username == "admin-acme"
    assert job.media.collection_id == organization.collection_id
    assert set(job.timings) >= {"tts", "render", "encode", "upload"}

    status_url = re.search(r'data-aivideo-panel-status-url-value="([^"]+)"', editor_html)[1]
    status = client.get(status_url).json()["job"]
    assert status["status"] == "succeeded" and status["job_id"] == job_id
    assert "<video" in open_editor(client, page)


def test_an_editor_role_user_has_no_button_and_a_forged_post_is_refused(stack, catalogue):
    organization, page = catalogue
    client = logged_in("editor-acme", "demo-editor-acme")
    editor_html = open_editor(client, page)
    assert "Generate video" not in editor_html

    response = client.post(f"/admin/video/pages/{page.pk}/generate/", **csrf_header(client))
    assert response.status_code == 403
    assert not VideoJob.objects.filter(page_id=page.pk).exists()
