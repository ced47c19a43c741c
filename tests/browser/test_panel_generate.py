"""An organization admin makes a presenter video in the page editor, with the real runner and worker."""

from __future__ import annotations

import shutil

import pytest

from shop.models import Organization, ProductPage
from tests.browser.conftest import ROOT, log_in, wait_for_panel_state
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCRIPT = "Hello! This lamp gives a warm and even light for reading at night."
PLAYABLE = """() => {
    const video = document.querySelector('.w-video-panel video');
    return Boolean(video) && video.readyState >= 2 && video.duration > 0;
}"""


def test_an_admin_writes_a_script_generates_and_plays_the_video(
    stack, catalogue, live_server, browser_page, artifacts
):
    page = browser_page
    organization = Organization.objects.get(slug="acme")
    product = ProductPage.objects.descendant_of(organization.index_page).live().first()
    log_in(page, live_server.url, "admin-acme", "demo-admin-acme")
    page.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    panel = page.locator(".w-video-panel")

    assert wait_for_panel_state(page, "none") == "none"
    page.get_by_text("Runner online").wait_for(timeout=30_000)
    page.get_by_text("One face found").wait_for()  # the demo presenter is a real portrait
    panel.screenshot(path=artifacts / "1-no-video.png")

    script = page.locator("[data-video-panel-target=script]")
    script.fill(SCRIPT)
    count = page.locator("[data-video-panel-target=scriptCount]")
    assert count.inner_text().startswith(f"{len(SCRIPT)} / ")
    voices = page.locator("[data-video-panel-target=voice] optgroup option").all_inner_texts()
    assert "espeak:en-us" in voices, voices

    page.get_by_role("button", name="Generate video").click()
    first_state = wait_for_panel_state(page, "queued", "running", "succeeded")
    panel.screenshot(path=artifacts / f"2-{first_state}.png")

    assert wait_for_panel_state(page, "succeeded", "failed", timeout_ms=120_000) == "succeeded", (
        stack.tail_logs()
    )
    page.wait_for_function(PLAYABLE, timeout=30_000)
    assert panel.locator("video").get_attribute("poster").endswith(".jpg")
    assert panel.locator("track[kind=captions]").get_attribute("src").endswith(".vtt")
    assert panel.get_by_text("Download MP4").get_attribute("href").endswith(".mp4")
    assert "espeak" in panel.locator("[data-field=voice]").inner_text()
    assert panel.locator("[data-field=renderer]").inner_text() == "still"
    assert panel.get_by_text("Shown on the page").count() == 1
    page.locator(".w-video-panel__state").screenshot(path=artifacts / "3-succeeded.png")
    # A fresh picture of the done state for the README.
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(artifacts / "3-succeeded.png", ROOT / "docs" / "panel-done.png")

    job = VideoJob.objects.get(page_id=product.pk)
    assert job.script == SCRIPT and job.requested_by.username == "admin-acme" and job.is_current

    # The shop's product page shows the same video, with its poster and captions.
    page.goto(f"{live_server.url}{product.url}")
    video = page.locator("video.product__video")
    assert video.get_attribute("poster").endswith(".jpg")
    captions_url = page.locator("video.product__video track[kind=captions]").get_attribute("src")
    assert page.request.get(captions_url).text().startswith("WEBVTT")
    page.screenshot(path=artifacts / "4-product-page.png")
