"""Generation uses a presenter with consent in force: what each request path does with a photo that is no
presenter's, a presenter without consent, with expired, future or revoked consent, and a licensed face."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from gpu_runner.protocol import ErrorCode, RenderRequest
from tests.conftest import make_image
from tests.content_credentials import image_from_bytes, signed_jpeg
from tests.factories import make_document, make_media, make_presenter
from video_plugin.jobs.going_live import publish_waiting_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import ConsentRecord, Presenter, VideoJob
from video_plugin.presenters.consent import Status, usability

pytestmark = pytest.mark.django_db


def acme_presenter(world: Any, **kwargs: Any) -> Presenter:
    """A presenter of Acme's on a fresh photo, made the page's own presenter photo."""
    org = world.orgs["acme"]
    photo = make_image("anna", org.collection)
    presenter = make_presenter(photo, org.pk, name="Anna", **kwargs)
    page = world.product["acme"]
    page.presenter_image = photo
    page.save()
    return presenter


def consent(presenter: Presenter, start_days: int, end_days: int | None = None) -> ConsentRecord:
    """A consent record that began ``start_days`` from today (negative: in the past)."""
    today = timezone.localdate()
    return ConsentRecord.objects.create(
        presenter=presenter,
        consented_by="Anna Example",
        valid_from=today + timedelta(days=start_days),
        valid_until=today + timedelta(days=end_days) if end_days is not None else None,
        evidence=make_document(presenter.photo.collection),
    )


def ask(world: Any, sent_renders: Any, capture: Any) -> tuple[VideoJob, list[dict[str, Any]]]:
    with capture(execute=True):
        job = request_video(world.product["acme"], world.users[("admin", "acme")], VideoJob.Trigger.EDITOR)
    return job, sent_renders()


def test_a_presenter_with_consent_is_used_and_recorded(
    world, sent_renders, django_capture_on_commit_callbacks
):
    presenter = acme_presenter(world)
    job, sent = ask(world, sent_renders, django_capture_on_commit_callbacks)

    record = presenter.consents.get()
    assert job.status == VideoJob.Status.QUEUED
    assert (job.presenter, job.consent, job.consent_reference) == (presenter, record, record.reference)
    request = RenderRequest.from_dict(sent[0])
    assert request.provenance is not None
    assert request.provenance.presenter_consent == record.reference
    assert request.provenance.organization == world.orgs["acme"].name
    assert request.provenance.presenter_kind == "person"
    assert request.disclosure.enabled and request.disclosure.text == "AI-generated"


@pytest.mark.parametrize(
    ("window", "status", "words"),
    [
        (None, Status.NONE, "has no consent on record"),
        ((-60, -1), Status.EXPIRED, "consent ended on"),
        ((3, None), Status.NOT_YET, "consent starts on"),
    ],
)
def test_a_presenter_without_consent_in_force_fails_the_job_saying_who_can_fix_it(
    world, sent_renders, django_capture_on_commit_callbacks, window, status, words
):
    presenter = acme_presenter(world, consented=False)
    if window is not None:
        consent(presenter, *window)
    assert usability(presenter).status == status

    job, sent = ask(world, sent_renders, django_capture_on_commit_callbacks)

    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.NO_CONSENT
    assert words in job.error_message and "'Anna'" in job.error_message
    assert "an owner or admin of the organization" in job.error_message
    assert job.presenter == presenter and job.consent_reference == ""
    assert sent == []


def test_revoking_consent_stops_the_next_video_at_once(
    world, sent_renders, django_capture_on_commit_callbacks
):
    presenter = acme_presenter(world)
    first, _ = ask(world, sent_renders, django_capture_on_commit_callbacks)
    VideoJob.objects.filter(pk=first.pk).update(status=VideoJob.Status.CANCELLED)

    presenter.consents.get().revoke(world.users[("owner", "acme")], "asked to stop")
    job, sent = ask(world, sent_renders, django_capture_on_commit_callbacks)

    assert job.error_code == ErrorCode.NO_CONSENT and "withdrew consent" in job.error_message
    assert len(sent) == 1  # the first job's message only


def test_a_photo_that_is_no_presenter_is_refused(world, sent_renders, django_capture_on_commit_callbacks):
    page = world.product["acme"]
    page.presenter_image = make_image("stranger", world.orgs["acme"].collection)
    page.save()

    job, sent = ask(world, sent_renders, django_capture_on_commit_callbacks)

    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.NOT_A_PRESENTER
    assert "'stranger' is no presenter of 'Acme'" in job.error_message
    assert sent == []


def test_another_organizations_presenter_is_refused(world, sent_renders, django_capture_on_commit_callbacks):
    theirs = Presenter.objects.get(organization_id=world.orgs["bluebird"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(
            world.product["acme"], world.users[("admin", "acme")], VideoJob.Trigger.API, presenter=theirs
        )
    assert job.status == VideoJob.Status.FAILED and job.error_code == ErrorCode.IMAGE_NOT_ALLOWED
    assert sent_renders() == []


def test_a_licensed_face_needs_its_licence_and_the_setting(
    world, settings, sent_renders, django_capture_on_commit_callbacks
):
    presenter = acme_presenter(world, kind="synthetic")
    job, _ = ask(world, sent_renders, django_capture_on_commit_callbacks)
    assert job.status == VideoJob.Status.QUEUED and job.consent is None
    assert job.consent_reference == presenter.licence_reference
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.CANCELLED)

    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "SYNTHETIC_PRESENTERS": False}
    job, sent = ask(world, sent_renders, django_capture_on_commit_callbacks)
    assert job.error_code == ErrorCode.NO_CONSENT and "SYNTHETIC_PRESENTERS" in job.error_message

    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "SYNTHETIC_PRESENTERS": True}
    Presenter.objects.filter(pk=presenter.pk).update(licence=" ")
    job, _ = ask(world, sent_renders, django_capture_on_commit_callbacks)
    assert job.error_code == ErrorCode.NO_CONSENT and "no licence recorded" in job.error_message


def test_a_consent_ending_before_it_starts_is_refused_by_the_database(world):
    presenter = acme_presenter(world, consented=False)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        consent(presenter, 0, -1)


def test_a_person_presenter_whose_photo_turns_out_ai_made_is_refused(
    world, tmp_path, sent_renders, django_capture_on_commit_callbacks
):
    org = world.orgs["acme"]
    made = image_from_bytes("made", signed_jpeg(tmp_path, "trainedAlgorithmicMedia"), org.collection)
    make_presenter(made, org.pk, name="Made")
    page = world.product["acme"]
    page.presenter_image = made
    page.save()

    job, sent = ask(world, sent_renders, django_capture_on_commit_callbacks)

    assert job.error_code == ErrorCode.NO_CONSENT and "a trained model made it" in job.error_message
    assert sent == []


def finished_waiting_job(world: Any, presenter: Presenter) -> VideoJob:
    """A succeeded job of Acme's page by ``presenter`` whose video waits for the page's next publish."""
    page = world.product["acme"]
    media = make_media(world.orgs["acme"].collection, "waiting video")
    return VideoJob.objects.create(
        organization_id=world.orgs["acme"].pk,
        page=page,
        trigger=VideoJob.Trigger.EDITOR,
        voice="espeak:en-us",
        renderer="still",
        presenter=presenter,
        status=VideoJob.Status.SUCCEEDED,
        media=media,
        waits_for_publish=True,
    )


def test_a_waiting_video_whose_consent_lapsed_does_not_go_live_on_publish(world):
    presenter = acme_presenter(world)
    job = finished_waiting_job(world, presenter)
    presenter.consents.get().revoke(None, "withdrawn while the video waited")

    assert publish_waiting_video(world.product["acme"]) is None

    job.refresh_from_db()
    assert not job.is_current and not job.waits_for_publish


def test_a_waiting_video_with_consent_goes_live_on_publish(world):
    job = finished_waiting_job(world, acme_presenter(world))
    assert publish_waiting_video(world.product["acme"]) == job
    job.refresh_from_db()
    assert job.is_current and not job.waits_for_publish


def test_make_live_refuses_a_video_whose_consent_was_revoked(world, client):
    presenter = acme_presenter(world)
    job = finished_waiting_job(world, presenter)
    presenter.consents.get().revoke(None)
    client.force_login(world.users[("owner", "acme")])

    answer = client.post(reverse("video_plugin:make_current", args=[world.product["acme"].pk, job.job_id]))

    assert answer.status_code == 409 and "withdrew consent" in answer.json()["error"]
    assert not VideoJob.objects.get(pk=job.pk).is_current
