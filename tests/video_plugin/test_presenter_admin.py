"""Settings → Presenters: owners and admins manage their organization's presenters and consent, the forms
refuse what would break the consent rule with a message that says how to fix it, and revoking consent stops
new videos at once and leads to the live videos, which *Remove from page* takes down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry

from gpu_runner.protocol import ErrorCode
from tests.conftest import make_image, permissions
from tests.content_credentials import image_from_bytes, signed_jpeg
from tests.factories import make_document, make_presenter
from tests.security.conftest import finish, finished_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import ConsentRecord, Presenter, VideoJob
from video_plugin.presenters.forms import ConsentRecordForm
from video_plugin.presenters.log_actions import CONSENT_RECORDED, CONSENT_REVOKED, VIDEO_TAKEN_DOWN

pytestmark = pytest.mark.django_db
BASE = "/admin/presenters"


def presenter_of(world, slug: str) -> Presenter:
    """The organization's default presenter (made by the ``world`` fixture, with consent in force)."""
    return Presenter.objects.get(organization_id=world.orgs[slug].pk)


def logged_in(client, world, role: str = "owner", slug: str = "acme"):
    client.force_login(world.users[(role, slug)])
    return client


def presenter_form(world, **fields) -> dict:
    """The presenter form's POST data for a new acme presenter."""
    data = {"organization_id": str(world.orgs["acme"].pk), "name": "Anna (sales)", "kind": "person"}
    data.update(fields)
    return data


def consent_form(evidence, **fields) -> dict:
    today = timezone.localdate()
    data = {
        "consented_by": "Anna Berg",
        "scope": "Product videos of this organization",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
        "evidence": str(evidence.pk) if evidence else "",
    }
    data.update(fields)
    return data


def errors_of(response) -> dict:
    """The form's errors of a re-rendered form page, as plain text per field."""
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    return {field: " ".join(messages) for field, messages in form.errors.items()}


# --- the listing and the presenter's page -------------------------------------------------------------------


def test_the_listing_shows_the_organizations_presenters_with_photo_kind_status_and_organization(
    client, world
):
    unconsented = make_presenter(
        make_image("Bo", world.orgs["acme"].collection), world.orgs["acme"].pk, consented=False
    )
    body = logged_in(client, world).get(f"{BASE}/").content.decode()

    assert "acme presenter" in body and unconsented.name in body
    assert "bluebird presenter" not in body
    assert body.count('class="w-status w-status--primary"') == 1  # the one with consent in force
    assert "Consent valid" in body and "No consent recorded" in body
    assert "Real person" in body and "Acme" in body
    assert ".fill-48x48." in body  # the photo's thumbnail rendition
    assert f'href="{BASE}/new/"' in body  # owners may add


def test_the_presenters_page_shows_its_consent_records_and_the_revoke_action(client, world):
    presenter = presenter_of(world, "acme")
    record = presenter.consents.get()
    body = logged_in(client, world, "admin").get(f"{BASE}/inspect/{presenter.pk}/").content.decode()
    assert record.reference in body and "In force" in body
    assert f"{BASE}/consent/{record.pk}/revoke/" in body
    assert f"{BASE}/{presenter.pk}/consent/new/" in body
    assert record.evidence.url in body  # managers open the evidence
    assert "Licence reference" not in body  # a person's presenter rests on consent, not a licence

    client = logged_in(client, world, "admin")
    revoke_page = client.get(f"{BASE}/consent/{record.pk}/revoke/").content.decode()
    assert record.reference in revoke_page and 'name="note"' in revoke_page
    assert 'type="submit" class="button serious">Revoke consent' in revoke_page
    record_page = client.get(f"{BASE}/{presenter.pk}/consent/new/").content.decode()
    assert 'name="evidence"' in record_page and 'name="valid_until"' in record_page


def test_an_editor_sees_presenters_read_only(client, world):
    presenter = presenter_of(world, "acme")
    client = logged_in(client, world, "editor")
    listing = client.get(f"{BASE}/").content.decode()
    assert "acme presenter" in listing
    assert f"{BASE}/inspect/{presenter.pk}/" in listing
    assert f"{BASE}/edit/{presenter.pk}/" not in listing and f"{BASE}/new/" not in listing

    page = client.get(f"{BASE}/inspect/{presenter.pk}/").content.decode()
    record = presenter.consents.get()
    assert record.reference in page
    assert "/revoke/" not in page and "/consent/new/" not in page and f"{BASE}/edit/" not in page
    assert record.evidence.url not in page  # a signed consent form is for the managers


def test_settings_groups_offers_add_change_and_view_but_never_delete(client, world):
    client.force_login(world.superuser)
    body = client.get("/admin/groups/new/").content.decode()
    offered = set(
        permissions("video_plugin", "add_presenter", "change_presenter", "view_presenter")
        + permissions("video_plugin", "add_consentrecord", "change_consentrecord", "view_consentrecord")
    )
    for permission in offered:
        assert f'value="{permission.pk}"' in body, permission.codename
    for permission in permissions("video_plugin", "delete_presenter", "delete_consentrecord"):
        assert f'value="{permission.pk}"' not in body, permission.codename


# --- creating and editing presenters ------------------------------------------------------------------------


def test_an_owner_adds_a_presenter_and_is_sent_to_record_their_consent(client, world):
    photo = make_image("Anna", world.orgs["acme"].collection)
    response = logged_in(client, world).post(f"{BASE}/new/", presenter_form(world, photo=str(photo.pk)))
    presenter = Presenter.objects.get(name="Anna (sales)")
    assert (response.status_code, response["Location"]) == (302, f"{BASE}/inspect/{presenter.pk}/")
    assert (presenter.organization_id, presenter.photo_id) == (world.orgs["acme"].pk, photo.pk)
    page = client.get(response["Location"]).content.decode()
    assert "No consent recorded" in page and "Record their consent" in page


def test_a_presenter_for_another_organization_cannot_be_added(client, world):
    photo = make_image("Anna", world.orgs["acme"].collection)
    data = presenter_form(world, photo=str(photo.pk), organization_id=str(world.orgs["bluebird"].pk))
    errors = errors_of(logged_in(client, world).post(f"{BASE}/new/", data))
    assert "Select a valid choice" in errors["organization_id"]
    assert not Presenter.objects.filter(name="Anna (sales)").exists()


def test_the_photo_must_be_the_organizations_own(client, world):
    foreign = make_image("Bluebird face", world.orgs["bluebird"].collection)
    errors = errors_of(
        logged_in(client, world).post(f"{BASE}/new/", presenter_form(world, photo=str(foreign.pk)))
    )
    assert errors["photo"] == "'Bluebird face' is not one of 'Acme''s images; choose one of its own"


def test_a_photo_is_one_presenter(client, world):
    taken = presenter_of(world, "acme").photo
    errors = errors_of(
        logged_in(client, world).post(f"{BASE}/new/", presenter_form(world, photo=str(taken.pk)))
    )
    assert errors["photo"] == "'acme presenter' is already the photo of presenter 'acme presenter'"


def test_a_synthetic_presenter_needs_its_licence(client, world):
    photo = make_image("Stock face", world.orgs["acme"].collection)
    data = presenter_form(world, photo=str(photo.pk), kind="synthetic", licence="  ")
    errors = errors_of(logged_in(client, world).post(f"{BASE}/new/", data))
    assert errors["licence"].startswith("A synthetic, stock or public-domain face needs its licence")

    data["licence"] = "CC0 1.0, from the shop's stock library"
    assert client.post(f"{BASE}/new/", data).status_code == 302
    assert Presenter.objects.get(photo=photo).kind == "synthetic"


def test_synthetic_presenters_are_refused_where_the_site_turns_them_off(client, world, settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "SYNTHETIC_PRESENTERS": False}
    photo = make_image("Stock face", world.orgs["acme"].collection)
    client = logged_in(client, world)
    assert 'value="synthetic"' not in client.get(f"{BASE}/new/").content.decode()  # not offered
    data = presenter_form(world, photo=str(photo.pk), kind="synthetic", licence="CC0 1.0")
    errors = errors_of(client.post(f"{BASE}/new/", data))
    assert 'WAGTAIL_VIDEO["SYNTHETIC_PRESENTERS"]' in errors["kind"]
    assert "only presenters who consented" in errors["kind"]
    assert not Presenter.objects.filter(photo=photo).exists()


def test_an_ai_generated_photo_is_only_a_synthetic_presenter(client, world, tmp_path):
    photo = image_from_bytes(
        "Generated face", signed_jpeg(tmp_path, "trainedAlgorithmicMedia"), world.orgs["acme"].collection
    )
    client = logged_in(client, world)
    errors = errors_of(client.post(f"{BASE}/new/", presenter_form(world, photo=str(photo.pk))))
    assert "say it was made by a trained model" in errors["kind"]
    assert "synthetic presenter" in errors["kind"]

    data = presenter_form(world, photo=str(photo.pk), kind="synthetic", licence="Generated in-house, ours")
    assert client.post(f"{BASE}/new/", data).status_code == 302


def test_a_camera_photo_with_credentials_may_be_a_person(client, world, tmp_path):
    photo = image_from_bytes(
        "Real face", signed_jpeg(tmp_path, "digitalCapture"), world.orgs["acme"].collection
    )
    response = logged_in(client, world).post(f"{BASE}/new/", presenter_form(world, photo=str(photo.pk)))
    assert response.status_code == 302
    assert Presenter.objects.get(photo=photo).kind == "person"


def test_the_photo_of_a_presenter_with_consent_is_kept(client, world):
    presenter = presenter_of(world, "acme")
    other = make_image("Someone else", world.orgs["acme"].collection)
    data = {"name": presenter.name, "photo": str(other.pk), "kind": "person", "licence": ""}
    errors = errors_of(logged_in(client, world).post(f"{BASE}/edit/{presenter.pk}/", data))
    assert "add it as a new presenter and record its own consent" in errors["photo"]

    data["photo"], data["name"] = str(presenter.photo_id), "Anna, renamed"
    assert client.post(f"{BASE}/edit/{presenter.pk}/", data).status_code == 302
    presenter.refresh_from_db()
    assert (presenter.name, presenter.photo_id) == ("Anna, renamed", int(data["photo"]))


# --- consent records ----------------------------------------------------------------------------------------


def test_an_admin_records_consent_with_its_evidence(client, world):
    acme = world.orgs["acme"]
    presenter = make_presenter(make_image("Bo", acme.collection), acme.pk, consented=False)
    evidence = make_document(acme.collection, "Bo signed form")
    response = logged_in(client, world, "admin").post(
        f"{BASE}/{presenter.pk}/consent/new/", consent_form(evidence, consented_by="Bo Lind")
    )
    assert (response.status_code, response["Location"]) == (302, f"{BASE}/inspect/{presenter.pk}/")
    record = presenter.consents.get()
    assert (record.consented_by, record.evidence_id, record.recorded_by) == (
        "Bo Lind",
        evidence.pk,
        world.users[("admin", "acme")],
    )
    entry = ModelLogEntry.objects.get(action=CONSENT_RECORDED, object_id=str(presenter.pk))
    assert entry.data["reference"] == record.reference and entry.user == world.users[("admin", "acme")]


def test_a_consent_record_without_evidence_is_refused(client, world):
    presenter = make_presenter(
        make_image("Bo", world.orgs["acme"].collection), world.orgs["acme"].pk, consented=False
    )
    errors = errors_of(
        logged_in(client, world).post(f"{BASE}/{presenter.pk}/consent/new/", consent_form(None))
    )
    assert errors["evidence"].startswith("A consent record needs its evidence: upload the signed form")
    assert not presenter.consents.exists()


def test_consent_cannot_end_before_it_starts(client, world):
    acme = world.orgs["acme"]
    presenter = make_presenter(make_image("Bo", acme.collection), acme.pk, consented=False)
    data = consent_form(make_document(acme.collection), valid_from="2026-03-10", valid_until="2026-03-01")
    errors = errors_of(logged_in(client, world).post(f"{BASE}/{presenter.pk}/consent/new/", data))
    assert errors["valid_until"] == (
        "Consent cannot end (01 Mar 2026) before it starts (10 Mar 2026); leave it empty for 'until revoked'."
    )
    assert not presenter.consents.exists()


def test_the_evidence_must_be_in_the_organizations_collection(client, world):
    acme = world.orgs["acme"]
    presenter = make_presenter(make_image("Bo", acme.collection), acme.pk, consented=False)
    foreign = make_document(world.orgs["bluebird"].collection, "Bluebird form")
    errors = errors_of(
        logged_in(client, world).post(f"{BASE}/{presenter.pk}/consent/new/", consent_form(foreign))
    )
    assert (
        errors["evidence"]
        == "'Bluebird form' is not in 'Acme''s collection; upload the evidence there and choose it."
    )


def test_the_consent_form_refuses_a_presenter_of_an_organization_the_user_does_not_manage(world):
    presenter = presenter_of(world, "acme")
    form = ConsentRecordForm(
        data=consent_form(make_document(world.orgs["acme"].collection)),
        presenter=presenter,
        for_user=world.users[("owner", "bluebird")],
    )
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "'acme presenter' is a presenter of an organization whose presenters you do not manage; you can "
        "record consent only for your own organizations' presenters."
    ]


def test_a_synthetic_presenter_takes_no_consent_record(world):
    acme = world.orgs["acme"]
    synthetic = make_presenter(make_image("Stock", acme.collection), acme.pk, kind="synthetic")
    form = ConsentRecordForm(
        data=consent_form(make_document(acme.collection)),
        presenter=synthetic,
        for_user=world.users[("owner", "acme")],
    )
    assert not form.is_valid()
    assert "needs its licence, not consent" in form.non_field_errors()[0]


# --- revocation and takedown --------------------------------------------------------------------------------


def revoke(client, record, note: str = ""):
    return client.post(f"{BASE}/consent/{record.pk}/revoke/", {"note": note})


def test_revoking_stops_new_videos_at_once(client, world):
    page, presenter = world.product["acme"], presenter_of(world, "acme")
    record = presenter.consents.get()
    response = revoke(logged_in(client, world), record, "E-mail to HR, 2 Dec")
    assert (response.status_code, response["Location"]) == (302, f"{BASE}/{presenter.pk}/videos/")

    record.refresh_from_db()
    assert record.revoked_by == world.users[("owner", "acme")]
    assert record.revocation_note == "E-mail to HR, 2 Dec" and record.revoked_at is not None
    entry = ModelLogEntry.objects.get(action=CONSENT_REVOKED, object_id=str(presenter.pk))
    assert entry.data == {"reference": record.reference, "note": "E-mail to HR, 2 Dec"}

    job = request_video(page, world.users[("owner", "acme")], VideoJob.Trigger.EDITOR)
    assert (job.status, job.error_code) == (VideoJob.Status.FAILED, ErrorCode.NO_CONSENT)
    assert "withdrew consent" in job.error_message


def test_revoking_one_record_while_another_is_in_force_keeps_the_videos(client, world):
    presenter = presenter_of(world, "acme")
    old = presenter.consents.get()
    ConsentRecord.objects.create(
        presenter=presenter,
        consented_by="Anna",
        valid_from=timezone.localdate() - timedelta(days=1),
        evidence=make_document(world.orgs["acme"].collection, "renewal"),
    )
    response = revoke(logged_in(client, world), old)
    assert response["Location"] == f"{BASE}/inspect/{presenter.pk}/"
    assert (
        request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR).status == VideoJob.Status.QUEUED
    )


def test_revoking_twice_keeps_the_first_revocation(client, world):
    record = presenter_of(world, "acme").consents.get()
    client = logged_in(client, world)
    revoke(client, record, "first")
    record.refresh_from_db()
    first = record.revoked_at
    revoke(client, record, "second")
    record.refresh_from_db()
    assert (record.revoked_at, record.revocation_note) == (first, "first")


def test_the_live_videos_of_the_presenter_are_listed_after_revocation(client, world, image_factory):
    acme = world.orgs["acme"]
    presenter = presenter_of(world, "acme")
    live = finished_video(world.product["acme"])
    # Another page of acme with a video of another presenter, and an older video of the same presenter that no
    # page shows any more: neither is listed.
    other_page = world.index["acme"].add_child(
        instance=type(world.product["acme"])(title="Acme Desk", price=5)
    )
    other_presenter = make_presenter(image_factory("Cleo", acme.collection), acme.pk)
    other_page_video = finish_with(other_page, other_presenter)
    older = VideoJob.objects.create(
        organization_id=acme.pk,
        page=world.product["acme"],
        trigger="editor",
        status="succeeded",
        presenter=presenter,
    )

    revoke(logged_in(client, world), presenter.consents.get())
    body = client.get(f"{BASE}/{presenter.pk}/videos/").content.decode()
    assert live.job_id in body and "Acme Lamp" in body
    assert other_page_video.job_id not in body and older.job_id not in body
    assert body.count("Remove from page") == 1 and "Remove all" in body


def finish_with(page, presenter):
    """A finished, live video of ``page`` showing ``presenter``."""
    return finish(request_video(page, None, VideoJob.Trigger.PUBLISH, presenter=presenter))


def test_remove_from_page_makes_the_live_page_stop_showing_the_video(client, world):
    page, presenter = world.product["acme"], presenter_of(world, "acme")
    live = finished_video(page)
    visitor = type(client)()
    assert live.media.file.name in visitor.get(page.url).content.decode()

    client = logged_in(client, world, "admin")
    revoke(client, presenter.consents.get())
    response = client.post(f"{BASE}/{presenter.pk}/videos/{live.job_id}/remove/")
    assert (response.status_code, response["Location"]) == (302, f"{BASE}/{presenter.pk}/videos/")

    live.refresh_from_db()
    assert not live.is_current and live.status == VideoJob.Status.SUCCEEDED  # kept for the audit
    assert page.specific.current_video_job is None
    shown = visitor.get(page.url).content.decode()
    assert "<video" not in shown and live.media.file.name not in shown
    entry = PageLogEntry.objects.get(action=VIDEO_TAKEN_DOWN, page=page)
    assert entry.data["job_id"] == live.job_id and entry.data["reason"] == "Consent revoked"
    assert entry.user == world.users[("admin", "acme")]
    assert "No live page shows a video of acme presenter" in client.get(response["Location"]).content.decode()


def test_remove_all_takes_every_page_down(client, world):
    presenter = presenter_of(world, "acme")
    second_page = world.index["acme"].add_child(
        instance=type(world.product["acme"])(title="Acme Desk", price=5)
    )
    jobs = [finished_video(world.product["acme"]), finish_with(second_page, presenter)]
    assert all(job.is_current for job in jobs)

    response = logged_in(client, world).post(f"{BASE}/{presenter.pk}/videos/remove-all/")
    assert response.status_code == 302
    assert not VideoJob.objects.filter(pk__in=[job.pk for job in jobs], is_current=True).exists()
    assert PageLogEntry.objects.filter(action=VIDEO_TAKEN_DOWN).count() == 2
    assert not world.product["acme"].specific.current_video_job and not second_page.specific.current_video_job


def test_a_video_waiting_for_publish_does_not_go_live_after_revocation(client, world):
    page, presenter = world.product["acme"], presenter_of(world, "acme")
    acme = world.orgs["acme"]
    acme.editor_videos_live_at_once, acme.auto_generate_on_publish = False, False
    acme.save()
    waiting = finish(request_video(page, None, VideoJob.Trigger.EDITOR))
    assert waiting.waits_for_publish

    revoke(logged_in(client, world), presenter.consents.get())
    page.save_revision(user=world.users[("owner", "acme")]).publish()
    waiting.refresh_from_db()
    assert not waiting.is_current and not waiting.waits_for_publish


# --- the default tenancy ------------------------------------------------------------------------------------


def test_under_the_default_tenancy_a_producers_group_with_presenter_permissions_manages_them(
    client, site_world
):
    producers = Group.objects.get(name="Video producers")
    producers.permissions.add(
        *permissions("video_plugin", "add_presenter", "change_presenter", "view_presenter")
    )
    client.force_login(site_world.users["producer"])
    body = client.get(f"{BASE}/").content.decode()
    assert "kitchen presenter" in body and "garden presenter" in body  # the site is one organization
    photo = make_image("Anna", None)
    response = client.post(
        f"{BASE}/new/", {"organization_id": "1", "name": "Anna", "photo": photo.pk, "kind": "person"}
    )
    assert response.status_code == 302
    assert Presenter.objects.get(name="Anna").organization_id == 1
