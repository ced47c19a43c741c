"""Upgrading to presenters: every photo already in use becomes a presenter without consent, jobs name theirs,
an existing presenter is reused, and new videos then wait for someone to record consent."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from gpu_runner.protocol import ErrorCode
from tests.conftest import make_image
from video_plugin.jobs.requests import request_video
from video_plugin.models import Presenter, VideoJob
from video_plugin.presenters.consent import Status, usability

plugin_migration = importlib.import_module("video_plugin.migrations.0008_presenters_consent_disclosure")
shop_migration = importlib.import_module("shop.migrations.0005_presenters_from_photos")

pytestmark = pytest.mark.django_db


def old_job(world, slug: str, image) -> VideoJob:
    """A finished job of before presenters: an image, no presenter."""
    return VideoJob.objects.create(
        organization_id=world.orgs[slug].pk,
        page=world.product[slug],
        trigger=VideoJob.Trigger.EDITOR,
        voice="espeak:en-us",
        renderer="still",
        image=image,
        status=VideoJob.Status.SUCCEEDED,
    )


def test_photos_in_use_become_presenters_without_consent(world):
    acme = world.orgs["acme"]
    old_photo = make_image("Sam at the counter", acme.collection)
    page_photo = make_image("Kim in the garden", acme.collection)
    page = world.product["acme"]
    page.presenter_image = page_photo
    page.save()
    with_photo = old_job(world, "acme", old_photo)
    with_default = old_job(world, "acme", acme.default_presenter_image)  # already a presenter (the fixture's)

    plugin_migration.photos_in_use_become_presenters(apps, None)
    shop_migration.photos_become_presenters(apps, None)
    plugin_migration.photos_in_use_become_presenters(apps, None)  # a second run adds nothing

    sam = Presenter.objects.get(organization_id=acme.pk, photo=old_photo)
    kim = Presenter.objects.get(organization_id=acme.pk, photo=page_photo)
    assert (sam.name, sam.kind, kim.name) == ("Sam at the counter", "person", "Kim in the garden")
    assert usability(sam).status == Status.NONE and usability(kim).status == Status.NONE
    assert VideoJob.objects.get(pk=with_photo.pk).presenter == sam
    default = Presenter.objects.get(organization_id=acme.pk, photo=acme.default_presenter_image)
    assert VideoJob.objects.get(pk=with_default.pk).presenter == default
    assert default.consents.count() == 1  # the existing presenter kept, consent and all
    assert Presenter.objects.filter(organization_id=acme.pk).count() == 3


def test_after_the_upgrade_a_migrated_face_waits_for_consent(
    world, sent_renders, django_capture_on_commit_callbacks
):
    page = world.product["acme"]
    page.presenter_image = make_image("Sam", world.orgs["acme"].collection)
    page.save()
    shop_migration.photos_become_presenters(apps, None)

    with django_capture_on_commit_callbacks(execute=True):
        job = request_video(page, None, VideoJob.Trigger.PUBLISH)

    assert job.error_code == ErrorCode.NO_CONSENT and "has no consent on record" in job.error_message
    assert sent_renders() == []
