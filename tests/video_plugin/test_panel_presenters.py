"""The editor panel and presenters: beside the photo chooser, whose face the photo is and whether it may be
animated, with why not and who can fix it, before Generate; a job refused for consent says so in the panel."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse

from tests.conftest import make_image
from tests.factories import make_presenter
from video_plugin.editor.state import panel_state
from video_plugin.jobs.requests import request_video
from video_plugin.models import Presenter, VideoJob
from video_plugin.presenters.standing import photo_standing
from video_plugin.tenancy import get_tenancy

pytestmark = pytest.mark.django_db


def panel_html(client, user, page) -> str:
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    return response.content.decode()


def standing_block(page_html: str) -> str:
    """The panel's presenter standing, as text (tags dropped, spaces folded)."""
    match = re.search(r'<div class="aivideo-panel__presenter-standing".*?</div>', page_html, re.DOTALL)
    assert match, "the panel shows no presenter standing"
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(match.group(0))).split())


def standing_value(page_html: str) -> dict:
    """The standing the panel's controller starts from (its Stimulus value)."""
    match = re.search(r'data-aivideo-panel-presenter-standing-value="([^"]*)"', page_html)
    assert match, "the panel passes no presenter standing to its controller"
    return json.loads(html.unescape(match.group(1)))


def with_photo(world, image):
    """Acme's product page, its own presenter photo set to ``image`` (a draft: nothing is published)."""
    page = world.product["acme"]
    page.presenter_image = image
    page.save_revision()
    return page


def test_the_default_presenter_is_named_with_its_consent(world, client):
    page_html = panel_html(client, world.users[("owner", "acme")], world.product["acme"])
    assert standing_block(page_html) == "Presenter acme presenter : Consent valid ."
    value = standing_value(page_html)
    presenter = Presenter.objects.get(photo=world.orgs["acme"].default_presenter_image)
    assert (value["status"], value["usable"], value["presenter_id"]) == ("valid", True, presenter.pk)


def test_a_presenter_without_consent_is_explained_with_who_can_fix_it(world, client):
    org = world.orgs["acme"]
    carl = make_presenter(make_image("carl", org.collection), org.pk, name="Carl", consented=False)
    page_html = panel_html(client, world.users[("owner", "acme")], with_photo(world, carl.photo))
    text = standing_block(page_html)
    assert text.startswith("Presenter Carl : No consent recorded .")
    assert "'Carl' has no consent on record" in text
    assert str(get_tenancy().who_may_manage_presenters) in text  # who can fix it
    value = standing_value(page_html)
    assert (value["status"], value["usable"]) == ("no_consent", False)
    assert "'Carl' has no consent on record" in value["reason"]


def test_a_revoked_consent_is_explained(world, client):
    presenter = Presenter.objects.get(photo=world.orgs["acme"].default_presenter_image)
    presenter.consents.get().revoke(world.users[("owner", "acme")])
    text = standing_block(panel_html(client, world.users[("admin", "acme")], world.product["acme"]))
    assert "Consent revoked" in text and "withdrew consent" in text


def test_a_photo_that_is_no_presenter_is_explained(world, client):
    stranger = make_image("stranger", world.orgs["acme"].collection)
    page_html = panel_html(client, world.users[("owner", "acme")], with_photo(world, stranger))
    text = standing_block(page_html)
    assert text.startswith("Not a presenter .")
    assert "The photo 'stranger' is no presenter of 'Acme'" in text
    assert str(get_tenancy().who_may_manage_presenters) in text
    assert standing_value(page_html)["status"] == "not_a_presenter"


def test_editors_who_cannot_generate_get_no_standing(world, client):
    page_html = panel_html(client, world.users[("editor", "acme")], world.product["acme"])
    assert "aivideo-panel__presenter-standing" not in page_html
    assert "presenter-standing-value" not in page_html


def test_without_any_photo_the_standing_says_to_choose_one(world):
    organization = get_tenancy().organization_for_page(world.product["acme"])
    standing = photo_standing(organization, None)
    assert (standing.status, standing.usable) == ("no_photo", False)
    assert "choose a presenter's photo" in standing.reason


@pytest.mark.parametrize(
    ("consented", "code", "title"),
    [
        (False, "no_consent", "The presenter has no valid consent."),
        (None, "not_a_presenter", "This photo is not a presenter."),
    ],
)
def test_a_job_refused_for_its_face_shows_its_title_and_reason(world, client, consented, code, title):
    org = world.orgs["acme"]
    image = make_image("face", org.collection)
    if consented is not None:
        make_presenter(image, org.pk, name="Dora", consented=consented)
    page = world.product["acme"]
    job = request_video(page, world.users[("owner", "acme")], VideoJob.Trigger.EDITOR, image=image)
    assert job.error_code == code
    state = panel_state(page.pk)["job"]
    assert state["reason"] == title
    assert state["error_message"] == job.error_message != ""
    # The status the panel polls says the same.
    client.force_login(world.users[("owner", "acme")])
    polled = client.get(reverse("video_plugin:status", args=[page.pk])).json()
    assert (polled["job"]["reason"], polled["job"]["error_message"]) == (title, job.error_message)
