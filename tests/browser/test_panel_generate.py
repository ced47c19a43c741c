"""An organization admin goes through every state of the video panel in the page editor, with the real runner
and events worker: no video, a voice preview, queued behind another page's render, running, done, cancelled
mid-render, and failed. Each state is saved as a screenshot of the whole panel under ``test-artifacts/``.
"""

from __future__ import annotations

import shutil

import pytest

from shop.models import Organization, ProductPage
from tests.browser.conftest import ROOT, log_in, screenshot_panel, wait_for_panel_state
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCRIPT = "Hello! This lamp gives a warm and even light for reading at night."
SECOND_SCRIPT = "Our backpack keeps your things dry on every trail, in rain or snow, all year long."
PLAYABLE = """(selector) => {
    const media = document.querySelector(selector);
    return Boolean(media) && media.readyState >= 2 && media.duration > 0;
}"""
STATE_TEXT = """(words) => {
    const text = document.querySelector('.aivideo-panel__state').innerText;
    return words.every((word) => text.includes(word));
}"""


def wait_for_state_text(page, *words: str, timeout_ms: int = 30_000) -> None:
    """Wait until the panel's state area shows every one of ``words`` (it updates by polling, no reload)."""
    page.wait_for_function(STATE_TEXT, arg=list(words), timeout=timeout_ms)


def test_an_admin_sees_every_state_of_the_panel(
    slow_stack, catalogue, live_server, browser_page, artifacts, settings
):
    stack, page = slow_stack, browser_page
    organization = Organization.objects.get(slug="acme")
    product, other_product = ProductPage.objects.descendant_of(organization.index_page).live()[:2]
    log_in(page, live_server.url, "admin-acme", "demo-admin-acme")
    page.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    panel = page.locator(".aivideo-panel")

    # No video yet.
    assert wait_for_panel_state(page, "none") == "none"
    page.get_by_text("Runner online").wait_for(timeout=30_000)
    page.get_by_text("One face found").wait_for()  # the demo presenter is a real portrait
    assert panel.get_by_text("This page has no presenter video yet.").is_visible()

    # A preview of the chosen voice, voiced by the runner and played by an <audio> element.
    page.locator("[data-aivideo-panel-target=voice]").select_option("espeak:en-gb")
    page.get_by_role("button", name="Preview voice").click()
    page.wait_for_function(PLAYABLE, arg="[data-aivideo-panel-target=previewAudio]", timeout=20_000)
    assert panel.locator("[data-aivideo-panel-target=previewHelp]").inner_text().startswith("espeak:en-gb: ")
    screenshot_panel(page, artifacts / "1-no-video.png")

    # Queued: the only runner is busy with another page's video.
    script = page.locator("[data-aivideo-panel-target=script]")
    script.fill(SCRIPT)
    script_count = page.locator("[data-aivideo-panel-target=scriptCount]").inner_text()
    assert script_count.startswith(f"{len(SCRIPT)} / ")
    request_video(other_product, None, VideoJob.Trigger.EDITOR, script="Hello there, and welcome.")
    stack.wait_for_job(lambda job: job.page_id == other_product.pk and job.status == VideoJob.Status.RUNNING)
    page.get_by_role("button", name="Generate video").click()
    assert wait_for_panel_state(page, "queued") == "queued"
    assert panel.get_by_text("Position 1 in the queue.").is_visible()
    panel.get_by_text("1 job queued").wait_for()
    screenshot_panel(page, artifacts / "2-queued.png")

    # Running: stage, percent and time left, live.
    wait_for_state_text(page, "Animating the presenter", "left")
    assert panel.locator("progress").count() == 1 and panel.get_by_role("button", name="Cancel").is_visible()
    screenshot_panel(page, artifacts / "3-running.png")

    # Done: the player, the facts (a still image, said plainly) and the history.
    assert wait_for_panel_state(page, "succeeded", "failed", timeout_ms=60_000) == "succeeded", (
        stack.tail_logs()
    )
    page.wait_for_function(PLAYABLE, arg=".aivideo-panel video", timeout=30_000)
    # Acme's brand kit makes the product page's 16:9 and the feed's 1:1: a player and a download for each.
    landscape = panel.locator(".aivideo-panel__state [data-format=landscape]")
    assert landscape.locator("video").get_attribute("poster").endswith(".landscape.jpg")
    assert (
        landscape.locator("track[kind=captions]")
        .get_attribute("src")
        .endswith("captions.vtt?format=landscape")
    )
    assert (
        landscape.get_by_role("link", name="Download 16:9 MP4")
        .get_attribute("href")
        .endswith(".landscape.mp4")
    )
    square = panel.locator(".aivideo-panel__state [data-format=square]")
    assert square.get_by_role("link", name="Download 1:1 MP4").get_attribute("href").endswith(".square.mp4")
    assert panel.locator("[data-field=kind]").inner_text() == "Still image (no talking head)"
    assert panel.locator("[data-field=renderer]").inner_text() == "still"
    assert panel.locator("[data-field=voice]").inner_text() == "espeak:en-gb"
    assert panel.locator("[data-field=voiceNote]").is_hidden()  # the voice asked for is the one heard
    (entry,) = panel.locator(".aivideo-panel__history-list > li").all()
    assert "Still image (no talking head) · renderer still · voice espeak:en-gb" in entry.inner_text()
    # An editor's video waits for the page's next publish; someone who may publish can make it live now.
    assert panel.get_by_text("go live when the page is next published").is_visible()
    assert entry.get_by_text("Goes live when the page is published").is_visible()
    assert not VideoJob.objects.get(page_id=product.pk).is_current
    entry.get_by_role("button", name="Make live").click()
    panel.locator(".aivideo-panel__history-list > li").get_by_text("Live on the page").wait_for(
        timeout=10_000
    )
    # The runner refreshes its published status every few seconds; the picture for the README waits for it.
    panel.get_by_text("1 runner · 0 jobs queued").wait_for(timeout=20_000)
    screenshot_panel(page, artifacts / "4-succeeded.png")
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(artifacts / "4-succeeded.png", ROOT / "docs" / "panel-done.png")
    done = VideoJob.objects.get(page_id=product.pk)
    assert done.script == SCRIPT and done.requested_by.username == "admin-acme" and done.is_current

    # Cancelled mid-render: the runner stops, nothing is attached and no file is left in storage.
    script.fill(SECOND_SCRIPT)  # a new script, or the finished twin would be reused at once
    page.get_by_role("button", name="Regenerate video").click()
    wait_for_state_text(page, "Animating the presenter")
    page.get_by_role("button", name="Cancel").click()
    assert wait_for_panel_state(page, "cancelled") == "cancelled"
    state = panel.locator(".aivideo-panel__state").inner_text()
    assert "Cancelled: no video was made (cancelled by admin-acme)." in state, state
    cancelled = VideoJob.objects.exclude(pk=done.pk).get(page_id=product.pk)
    stack.wait_for(
        lambda: f"job {cancelled.job_id} cancelled during render" in stack.tail_logs(chars=20_000),
        timeout=20,
        what="the runner did not report stopping the cancelled job",
    )
    assert stack.runner_state()["current_job"] is None
    cancelled.refresh_from_db()
    assert cancelled.status == VideoJob.Status.CANCELLED and cancelled.media_id is None
    assert stack.keys_under(cancelled.output_key.removesuffix(".mp4")) == set()
    assert VideoJob.objects.get(is_current=True, page_id=product.pk).pk == done.pk
    screenshot_panel(page, artifacts / "5-cancelled.png")

    # Failed: the runner refuses a job it cannot render; the reason in plain words, and a retry button.
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "RENDERER": "hallo2"}
    page.get_by_role("button", name="Generate video").click()
    assert wait_for_panel_state(page, "failed") == "failed"
    state = panel.locator(".aivideo-panel__state").inner_text()
    assert "The video could not be rendered. This runner serves the 'still' renderer" in state, state
    assert "start a runner with GPU_RUNNER_RENDERER=hallo2." in state, state
    assert page.get_by_role("button", name="Retry").is_visible()
    screenshot_panel(page, artifacts / "6-failed.png")

    # The shop's product page shows the finished video, with its poster and captions.
    page.goto(f"{live_server.url}{product.url}")
    video = page.locator("video.product__video")
    assert video.get_attribute("poster").endswith(".jpg")
    captions_url = page.locator("video.product__video track[kind=captions]").get_attribute("src")
    assert captions_url.startswith("/"), "captions come from the site's own origin, whatever the storage"
    assert page.request.get(f"{live_server.url}{captions_url}").text().startswith("WEBVTT")
    page.screenshot(path=artifacts / "7-product-page.png")
