"""Security of Settings → Presenters across organizations and roles (the shop's ``world``):

- Another organization's owner and admin, who manage presenters of their own, do not find acme's presenters
  or consent records: the listing leaves them out, and every screen and action answers 404, changing nothing.
- Acme's editor sees the presenters and their consent status, read-only: every screen or action that changes
  something answers Wagtail's refusal (302 to the dashboard), changing nothing.
- A member of both organizations manages only where they are owner or admin.
- Anonymous visitors are sent to the login; a POST without the CSRF token is refused (403).
- Consent evidence (documents in the organization's collection) is chosen by its owners and admins only.
"""

from __future__ import annotations

import pytest

from shop.models import Membership
from tests.factories import make_document
from tests.security.conftest import client_as, finished_video
from video_plugin.models import ConsentRecord, Presenter, VideoJob

pytestmark = pytest.mark.django_db
BASE = "/admin/presenters"


@pytest.fixture
def acme(world):
    """Acme's presenter, its consent record, and a live video of it."""
    presenter = Presenter.objects.get(organization_id=world.orgs["acme"].pk)
    return presenter, presenter.consents.get(), finished_video(world.product["acme"])


def screens(presenter: Presenter, record: ConsentRecord) -> list[str]:
    """Every screen about one presenter (GET)."""
    return [
        f"{BASE}/inspect/{presenter.pk}/",
        f"{BASE}/edit/{presenter.pk}/",
        f"{BASE}/history/{presenter.pk}/",
        f"{BASE}/usage/{presenter.pk}/",
        f"{BASE}/{presenter.pk}/videos/",
        f"{BASE}/{presenter.pk}/consent/new/",
        f"{BASE}/consent/{record.pk}/revoke/",
    ]


def changes(world, presenter: Presenter, record: ConsentRecord, job: VideoJob) -> list[tuple[str, dict]]:
    """Every action that changes a presenter, its consent or its videos (POST), with valid data."""
    evidence = make_document(world.orgs["acme"].collection)
    return [
        (f"{BASE}/edit/{presenter.pk}/", {"name": "Defaced", "photo": presenter.photo_id, "kind": "person"}),
        (
            f"{BASE}/{presenter.pk}/consent/new/",
            {"consented_by": "x", "scope": "x", "valid_from": "2026-01-01", "evidence": evidence.pk},
        ),
        (f"{BASE}/consent/{record.pk}/revoke/", {"note": "forged"}),
        (f"{BASE}/{presenter.pk}/videos/{job.job_id}/remove/", {}),
        (f"{BASE}/{presenter.pk}/videos/remove-all/", {}),
        (f"{BASE}/delete/{presenter.pk}/", {}),
    ]


def assert_unchanged(presenter: Presenter, record: ConsentRecord, job: VideoJob) -> None:
    presenter.refresh_from_db()
    record.refresh_from_db()
    job.refresh_from_db()
    assert presenter.name == "acme presenter"
    assert record.revoked_at is None and presenter.consents.count() == 1
    assert job.is_current


@pytest.mark.parametrize("actor", ["other_org_owner", "other_org_admin"])
def test_another_organizations_managers_find_none_of_acmes_presenters(world, acme, actor):
    presenter, record, job = acme
    client = client_as(world, actor)
    listing = client.get(f"{BASE}/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "bluebird presenter" in body  # their own: the screen works for them
    assert "acme presenter" not in body and f"/{presenter.pk}/" not in body

    for url in screens(presenter, record):
        response = client.get(url)
        assert response.status_code == 404, url
        assert record.reference not in response.content.decode()
    for url, data in changes(world, presenter, record, job):
        assert client.post(url, data).status_code == 404, url
    assert_unchanged(presenter, record, job)


def test_an_editor_sees_but_changes_nothing(world, acme):
    presenter, record, job = acme
    client = client_as(world, "editor")
    assert "acme presenter" in client.get(f"{BASE}/").content.decode()
    inspect = client.get(f"{BASE}/inspect/{presenter.pk}/")
    assert inspect.status_code == 200 and record.reference in inspect.content.decode()
    videos = client.get(f"{BASE}/{presenter.pk}/videos/")
    assert videos.status_code == 200 and job.job_id in videos.content.decode()
    assert "Remove from page" not in videos.content.decode()

    refused = [
        client.get(f"{BASE}/new/"),
        client.get(f"{BASE}/edit/{presenter.pk}/"),
        client.get(f"{BASE}/{presenter.pk}/consent/new/"),
        client.get(f"{BASE}/consent/{record.pk}/revoke/"),
        *(client.post(url, data) for url, data in changes(world, presenter, record, job)),
    ]
    for response in refused:
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert_unchanged(presenter, record, job)


def test_a_member_of_both_organizations_manages_only_where_they_may(world, acme):
    presenter, record, job = acme
    # Bluebird's owner holds the presenter permissions (through bluebird's groups) and is an editor of acme.
    Membership.objects.create(
        user=world.users[("owner", "bluebird")], organization=world.orgs["acme"], role="editor"
    )
    client = client_as(world, "other_org_owner")
    body = client.get(f"{BASE}/").content.decode()
    assert "acme presenter" in body and "bluebird presenter" in body
    assert f"{BASE}/edit/{presenter.pk}/" not in body  # acme's row links to its read-only page

    for url, data in changes(world, presenter, record, job):
        response = client.post(url, data)
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url
    assert_unchanged(presenter, record, job)


def test_anonymous_visitors_are_sent_to_the_login(world, acme):
    presenter, record, job = acme
    client = client_as(world, "anonymous")
    for url in [f"{BASE}/", *screens(presenter, record)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next="), url
    for url, data in changes(world, presenter, record, job):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next="), url
    assert_unchanged(presenter, record, job)


def test_someone_of_no_organization_sees_no_presenter(world, acme):
    presenter, record, _ = acme
    client = client_as(world, "owner")
    client.force_login(world.outsider)
    response = client.get(f"{BASE}/inspect/{presenter.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_revocation_and_takedown_need_the_csrf_token(world, acme):
    presenter, record, job = acme
    client = client_as(world, "owner", enforce_csrf=True)
    assert client.post(f"{BASE}/consent/{record.pk}/revoke/", {"note": "x"}).status_code == 403
    assert client.post(f"{BASE}/{presenter.pk}/videos/{job.job_id}/remove/").status_code == 403
    assert client.post(f"{BASE}/{presenter.pk}/videos/remove-all/").status_code == 403
    assert_unchanged(presenter, record, job)


def test_a_video_of_another_presenter_cannot_be_removed_through_this_one(world, acme):
    """The takedown URL names the presenter: a job that is not this presenter's live video is not found."""
    presenter, record, job = acme
    bluebird_job = finished_video(world.product["bluebird"])
    client = client_as(world, "owner")
    response = client.post(f"{BASE}/{presenter.pk}/videos/{bluebird_job.job_id}/remove/")
    assert response.status_code == 404
    bluebird_job.refresh_from_db()
    assert bluebird_job.is_current


def test_the_superuser_sees_every_organizations_presenters_and_deletes_none(world, acme):
    presenter, record, job = acme
    client = client_as(world, "owner")
    client.force_login(world.superuser)
    body = client.get(f"{BASE}/").content.decode()
    assert "acme presenter" in body and "bluebird presenter" in body
    # Jobs and their content credentials name presenters: nobody deletes one, not even a superuser.
    response = client.post(f"{BASE}/delete/{presenter.pk}/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert_unchanged(presenter, record, job)


def test_consent_evidence_is_chosen_only_by_the_organizations_managers(world, acme):
    """Signed consent forms are documents in the organization's collection: its owners and admins choose
    them; another organization's and editors do not see them."""
    _, record, _ = acme
    bluebird_form = ConsentRecord.objects.get(presenter__organization_id=world.orgs["bluebird"].pk).evidence
    for actor in ("owner", "admin"):
        body = client_as(world, actor).get("/admin/documents/chooser/").content.decode()
        assert f"/admin/documents/chooser/chosen/{record.evidence_id}/" in body, actor
        assert f"/admin/documents/chooser/chosen/{bluebird_form.pk}/" not in body, actor
    for actor in ("other_org_owner", "editor"):
        body = client_as(world, actor).get("/admin/documents/chooser/").content.decode()
        assert f"/admin/documents/chooser/chosen/{record.evidence_id}/" not in body, actor
    response = client_as(world, "editor").get("/admin/documents/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
