"""Who sees what in the browser: an editor-role member gets no button, another organization's admin gets
nothing; forged requests from their sessions are refused on the server.
"""

from __future__ import annotations

import pytest

from shop.models import Organization, ProductPage
from tests.browser.conftest import forged_post, log_in, wait_for_panel_state
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def acme_product() -> ProductPage:
    organization = Organization.objects.get(slug="acme")
    return ProductPage.objects.descendant_of(organization.index_page).live().first()


def test_an_editor_sees_the_panel_without_a_button_and_a_forged_post_gets_403(
    catalogue, live_server, browser_page, artifacts
):
    page, product = browser_page, acme_product()
    log_in(page, live_server.url, "editor-acme", "demo-editor-acme")
    page.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    assert wait_for_panel_state(page, "none") == "none"
    assert page.get_by_role("button", name="Generate video").count() == 0
    assert page.get_by_text("can generate videos").is_visible()
    page.locator(".aivideo-panel").screenshot(path=artifacts / "editor-view.png")

    response = forged_post(page, f"{live_server.url}/admin/video/pages/{product.pk}/generate/")
    assert response["status"] == 403, response
    assert not VideoJob.objects.exists()


def test_another_organizations_admin_can_neither_see_nor_touch_the_job(
    catalogue, live_server, browser_page, artifacts
):
    page, product = browser_page, acme_product()
    job = request_video(product, None, VideoJob.Trigger.EDITOR, script="Acme's secret launch script.")
    log_in(page, live_server.url, "admin-bluebird", "demo-admin-bluebird")

    page.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    assert page.locator(".aivideo-panel").count() == 0
    page.screenshot(path=artifacts / "other-organization-editor.png")

    status = page.request.get(f"{live_server.url}/admin/video/pages/{product.pk}/status/")
    assert status.status == 403 and job.job_id not in status.text() and "secret" not in status.text()
    base = f"{live_server.url}/admin/video/pages/{product.pk}"
    for url in (
        f"{base}/generate/",
        f"{base}/jobs/{job.job_id}/cancel/",
        f"{base}/jobs/{job.job_id}/current/",
    ):
        response = forged_post(page, url)
        assert response["status"] == 403, (url, response)
        assert job.job_id not in response["body"]
    job.refresh_from_db()
    assert job.status == VideoJob.Status.QUEUED and VideoJob.objects.count() == 1
