"""Security of the public Wagtail API v2 (``/api/v2/``), claim 1 of issue 7 part 4.

What a headless shop front end needs is pages: each product page carries its product image as a rendition
URL and its current video as ``ai_video``. So only the pages endpoint is exposed:

- ``/api/v2/images/`` and ``/api/v2/media/`` are not routed (Wagtail's and wagtailmedia's endpoints list every
  organization's files, presenter photos included); a presenter image appears in no API response.
- The pages endpoint shows live, public pages only: drafts, unpublished pages and their videos are absent.
- ``ai_video`` is the page's current video only: a finished but non-current video is never exposed.

The API is public and read-only, so the same answers hold for an outsider, a viewer and an anonymous caller,
under the shop's tenancy and the plugin's default (``tenant``, see ``conftest``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.models import ProductPage
from tests.security.conftest import finish, finished_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = pytest.mark.django_db
PARTS = ("anonymous", "viewer", "outsider")


@pytest.mark.parametrize("part", PARTS)
def test_images_and_media_endpoints_are_not_exposed(tenant, tenant_video, part):
    client = tenant.client(part)
    for url in ("/api/v2/images/", "/api/v2/media/", f"/api/v2/images/{tenant.presenter.pk}/"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("part", PARTS)
def test_no_page_response_names_a_presenter_image(tenant, tenant_video, part):
    client = tenant.client(part)
    presenter = tenant.presenter
    for url in ("/api/v2/pages/?fields=*", f"/api/v2/pages/{tenant.page.pk}/"):
        body = client.get(url).content.decode()
        assert presenter.file.name not in body
        assert "presenter_image" not in body


def draft_page(tenant):
    """A product page that was never published, with a finished video of its own."""
    page = tenant.section.add_child(
        instance=ProductPage(
            title="Secret Launch", description="<p>Soon.</p>", price=Decimal("9.00"), live=False
        )
    )
    page.save_revision()
    job = finished_video(page)
    return page, job


@pytest.mark.parametrize("part", PARTS)
def test_draft_and_unpublished_pages_and_their_videos_are_absent(tenant, part):
    draft, draft_job = draft_page(tenant)
    unpublished = tenant.other_page
    unpublished_job = finished_video(unpublished)
    unpublished.unpublish()
    client = tenant.client(part)
    listing = client.get("/api/v2/pages/?type=shop.ProductPage&fields=ai_video").content.decode()
    for page, job in ((draft, draft_job), (unpublished, unpublished_job)):
        assert client.get(f"/api/v2/pages/{page.pk}/").status_code == 404
        assert page.title not in listing
        assert job.media.file.name not in listing
    assert tenant.page.title in listing  # the control: the live page is listed


@pytest.mark.parametrize("part", PARTS)
def test_only_the_current_video_is_exposed(tenant, part):
    page = tenant.page
    first = finished_video(page)
    second = finished_video_with_script(page, "A second take.")
    VideoJob.objects.filter(pk=second.pk).update(is_current=False)
    VideoJob.objects.filter(pk=first.pk).update(is_current=True)
    body = tenant.client(part).get(f"/api/v2/pages/{page.pk}/").json()
    assert body["ai_video"]["url"].endswith(first.media.file.name)
    listing = tenant.client(part).get("/api/v2/pages/?fields=ai_video").content.decode()
    assert second.media.file.name.rsplit(".", 1)[0] not in listing
    assert second.media.file.name.rsplit(".", 1)[0] not in str(body)
    VideoJob.objects.filter(page=page).update(is_current=False)
    assert tenant.client(part).get(f"/api/v2/pages/{page.pk}/").json()["ai_video"] is None


def finished_video_with_script(page, script: str) -> VideoJob:
    return finish(request_video(page, None, VideoJob.Trigger.EDITOR, script=script))
