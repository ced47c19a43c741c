"""Another organization's images through the page's own image fields (issue 12, item 1).

An editor of acme posts the page form with bluebird's private presenter photo in the page's image fields
(the form's hidden inputs take any id). The form refuses it; a page saved with one before the check cannot
make a job of it; the runner reads no key the web side did not file under the job's organization; and
``check_page_images`` lists the pages still holding one.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gpu_runner.protocol import ErrorCode
from tests.packaging.host_site import form_with
from tests.security.conftest import client_as
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob

pytestmark = pytest.mark.django_db

IMAGE_FIELDS = ("presenter_image", "product_image")


def post_page_form(client, page, changes):
    """Submit the page's edit form as the editor's browser would, with ``changes`` to its fields."""
    url = f"/admin/pages/{page.pk}/edit/"
    editor = client.get(url)
    assert editor.status_code == 200
    form = form_with(editor.content.decode(), "title")
    data = [(name, value) for name, value in form.fields if name not in changes] + list(changes.items())
    return client.post(url, dict(data))


@pytest.mark.parametrize("field", IMAGE_FIELDS)
@pytest.mark.parametrize("role", ["owner", "editor"])
def test_the_page_form_refuses_another_organizations_image(world, field, role):
    page = world.product["acme"]
    foreign = world.orgs["bluebird"].default_presenter_image
    client = client_as(world, role)
    response = post_page_form(client, page, {field: str(foreign.pk)})
    assert response.status_code == 200  # the form again, not a redirect to the listing
    assert "not one of Acme&#x27;s images" in response.content.decode()
    page.refresh_from_db()
    latest = page.get_latest_revision_as_object()
    assert getattr(latest, f"{field}_id") != foreign.pk and getattr(page, f"{field}_id") != foreign.pk


def test_the_page_form_accepts_the_organizations_own_image(world):
    """The control: the same form with acme's own presenter saves."""
    page = world.product["acme"]
    own = world.orgs["acme"].default_presenter_image
    response = post_page_form(client_as(world, "owner"), page, {"presenter_image": str(own.pk)})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.get_latest_revision_as_object().presenter_image_id == own.pk


def test_a_page_holding_a_foreign_presenter_makes_no_job_of_it(world, sent_renders):
    page = world.product["acme"]
    page.presenter_image = world.orgs["bluebird"].default_presenter_image  # saved before the form checked
    page.save()
    job = request_video(page, world.users[("owner", "acme")], VideoJob.Trigger.PUBLISH)
    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.IMAGE_NOT_ALLOWED
    assert "not one of 'Acme'" in job.error_message and "own collection" in job.error_message
    assert sent_renders() == []


def test_check_page_images_lists_pages_with_foreign_images_live_and_draft(world):
    clean = io.StringIO()
    call_command("check_page_images", stdout=clean)
    assert "names only its organization's images" in clean.getvalue()

    page = world.product["acme"]
    foreign = world.orgs["bluebird"].default_presenter_image
    page.product_image = foreign
    page.save_revision().publish()
    page.presenter_image = foreign
    page.save_revision()  # a draft on top of the live version
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 image reference"):
        call_command("check_page_images", stdout=out)
    lines = out.getvalue().splitlines()
    assert f"page {page.pk} 'Acme Lamp' (live): product_image is image {foreign.pk}" in lines[0]
    assert "(draft): presenter_image" in out.getvalue() and "(draft): product_image" not in out.getvalue()
