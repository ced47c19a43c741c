"""An organization admin chooses how the finished videos look in the page editor: a layout, its formats and
burned-in captions, with a preview that follows each choice before anything is queued; then generates with
the real runner (still renderer) and finds every rendition in the panel, each with its player and download.
"""

from __future__ import annotations

import shutil

import pytest

from shop.models import Organization, ProductPage
from tests.browser.conftest import ROOT, log_in, screenshot_panel, wait_for_panel_state
from video_plugin.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCRIPT = "Meet the trail backpack: light, dry and ready for the hills."
PREVIEW = "[data-aivideo-panel-target=layoutPreview]"
PREVIEW_SHOWS = """([selector, shows]) => {
    const figure = document.querySelector(selector);
    const image = figure && figure.querySelector('img');
    return figure.dataset.state === 'ready' && figure.dataset.shows === shows && image.naturalWidth > 0;
}"""
PLAYABLE_ALL = """(selector) => {
    const videos = [...document.querySelectorAll(selector)];
    return videos.length > 0 && videos.every((video) => video.readyState >= 2 && video.duration > 0);
}"""
# The browser has picked its source (the first whose media query fits) and the page script its poster.
PLAYING_SOURCE = """(selector) => {
    const video = document.querySelector(selector);
    return Boolean(video) && video.currentSrc !== '' && video.readyState >= 1;
}"""


def wait_for_preview(page, shows: str) -> tuple[int, int]:
    """Wait until the preview shows ``layout/format`` and return its picture's size."""
    page.wait_for_function(PREVIEW_SHOWS, arg=[PREVIEW, shows], timeout=15_000)
    size = page.eval_on_selector(f"{PREVIEW} img", "image => [image.naturalWidth, image.naturalHeight]")
    return tuple(size)


def chosen(page, name: str) -> list[str]:
    return page.eval_on_selector_all(
        f"input[name={name}]:checked", "inputs => inputs.map((input) => input.value)"
    )


def test_an_admin_previews_a_layout_in_each_format_and_gets_every_rendition(
    stack, catalogue, live_server, browser_page, artifacts
):
    page = browser_page
    organization = Organization.objects.get(slug="acme")
    product = ProductPage.objects.descendant_of(organization.index_page).live().first()
    log_in(page, live_server.url, "admin-acme", "demo-admin-acme")
    page.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    panel = page.locator(".aivideo-panel")
    assert wait_for_panel_state(page, "none") == "none"

    # Acme's brand kit presets presenter and product, for the product page (16:9) and the feed (1:1).
    assert chosen(page, "video_panel_layout") == ["presenter_product"]
    assert chosen(page, "video_panel_formats") == ["landscape", "square"]
    assert chosen(page, "video_panel_burn_captions") == []
    assert wait_for_preview(page, "presenter_product/landscape") == (640, 360)
    first_picture = page.get_attribute(f"{PREVIEW} img", "src")

    # A layout the runner does not know (a tampered page) is refused by the server, in the panel's words.
    page.eval_on_selector(
        "input[name=video_panel_layout][value=presenter]", "input => { input.value = 'carousel'; }"
    )
    panel.get_by_label("Presenter", exact=True).check()
    refused = "unknown layout 'carousel'; valid layouts: presenter, presenter_product, social"
    page.locator("[data-aivideo-panel-target=layoutPreviewHelp]").get_by_text(refused).wait_for()
    page.get_by_role("button", name="Generate video").click()
    page.locator("[data-aivideo-panel-target=error]").get_by_text(refused).wait_for()
    assert not VideoJob.objects.exists()

    # Social brings its own format and captions; the preview follows without a reload.
    panel.get_by_label("Social (vertical, captions)").check()
    assert wait_for_preview(page, "social/vertical") == (360, 640)
    assert page.get_attribute(f"{PREVIEW} img", "src") != first_picture
    assert chosen(page, "video_panel_formats") == ["vertical"]
    assert chosen(page, "video_panel_burn_captions") == ["on"]

    # A second format: the one just ticked is previewed.
    panel.get_by_label("Feed (1:1)").check()
    assert wait_for_preview(page, "social/square") == (640, 640)
    screenshot_panel(page, artifacts / "1-chosen.png")
    assert not VideoJob.objects.exists(), "previews queue nothing"

    page.locator("[data-aivideo-panel-target=script]").fill(SCRIPT)
    page.get_by_role("button", name="Generate video").click()
    assert wait_for_panel_state(page, "succeeded", "failed", timeout_ms=120_000) == "succeeded", (
        stack.tail_logs()
    )

    job = VideoJob.objects.get(page_id=product.pk)
    assert (job.layout, job.formats, job.burn_captions) == ("social", ["square", "vertical"], True)
    assert sorted(r["format"] for r in job.renditions) == ["square", "vertical"]
    # One player per format, each with its poster and its download, in the contract's order.
    players = panel.locator(".aivideo-panel__state .aivideo-panel__rendition")
    assert [players.nth(i).get_attribute("data-format") for i in range(players.count())] == [
        "square",
        "vertical",
    ]
    page.wait_for_function(PLAYABLE_ALL, arg=".aivideo-panel__state video", timeout=30_000)
    for index, (name, aspect, label) in enumerate(
        [("square", "1:1", "Feed (1:1)"), ("vertical", "9:16", "Stories and shorts (9:16)")]
    ):
        player = players.nth(index)
        assert player.locator("video").get_attribute("poster").endswith(f".{name}.jpg")
        assert player.locator("source").get_attribute("src").endswith(f".{name}.mp4")
        assert player.locator("[data-field=label]").inner_text() == label
        assert player.locator("[data-field=captionsNote]").inner_text() == "captions burned in"
        # Its own captions, from the site's origin; not on by default, being in the picture already.
        track = player.locator("track[kind=captions]")
        assert track.get_attribute("src").endswith(f"captions.vtt?format={name}")
        assert track.evaluate("track => track.default") is False
        download = player.get_by_role("link", name=f"Download {aspect} MP4")
        assert download.get_attribute("href").endswith(f".{name}.mp4")
    sizes = page.eval_on_selector_all(
        ".aivideo-panel__state video",
        "videos => videos.map((video) => [video.videoWidth, video.videoHeight])",
    )
    assert [width / height for width, height in sizes] == [1.0, 1080 / 1920]
    # The history keeps the job's formats together under it.
    (entry,) = panel.locator(".aivideo-panel__history-list > li").all()
    formats = entry.locator(".aivideo-panel__history-renditions li")
    assert [formats.nth(i).get_attribute("data-format") for i in range(formats.count())] == [
        "square",
        "vertical",
    ]
    screenshot_panel(page, artifacts / "2-renditions.png")
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(artifacts / "2-renditions.png", ROOT / "docs" / "panel-renditions.png")

    # Live on the product page, each viewport plays the format that fits it: the phone the 9:16, a
    # near-square window the 1:1, a wide one the main video (no 16:9 was made).
    entry.get_by_role("button", name="Make live").click()
    entry.get_by_text("Live on the page").wait_for(timeout=10_000)
    main = job.output_key.removesuffix(".mp4")
    for viewport, played in (
        ({"width": 390, "height": 844}, f"{main}.vertical"),
        ({"width": 900, "height": 860}, f"{main}.square"),
        ({"width": 1280, "height": 720}, main),
    ):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}{product.url}")
        page.wait_for_function(PLAYING_SOURCE, arg="video.product__video", timeout=15_000)
        video = page.locator("video.product__video")
        assert video.evaluate("video => video.currentSrc").endswith(f"{played}.mp4"), viewport
        assert video.get_attribute("poster").endswith(f"{played}.jpg"), viewport
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{product.url}")
    page.wait_for_function(PLAYING_SOURCE, arg="video.product__video", timeout=15_000)
    page.screenshot(path=artifacts / "3-product-page-phone.png")
