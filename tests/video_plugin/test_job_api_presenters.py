"""The job API and presenters: ``presenter`` in the request, ``presenter`` and ``consent_reference`` in the
job, and a face without consent refused with 422 and its reason, the refusal kept as a failed job."""

from __future__ import annotations

import pytest

from tests.conftest import make_image
from tests.factories import make_presenter
from tests.video_plugin.test_job_api import assert_error, call
from video_plugin.api.openapi import DOCUMENT
from video_plugin.models import ApiToken, Presenter, VideoJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(world):
    return {slug: ApiToken.issue(org.pk, f"{slug} automation")[1] for slug, org in world.orgs.items()}


def presenter_of(world, slug: str, name: str, consented: bool = True) -> Presenter:
    org = world.orgs[slug]
    return make_presenter(make_image(name, org.collection), org.pk, name=name, consented=consented)


def test_a_job_asked_for_with_a_presenter_animates_that_presenter(
    world, client, tokens, sent_renders, django_capture_on_commit_callbacks
):
    anna = presenter_of(world, "acme", "Anna (sales)")
    page = world.product["acme"]
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, "post", "/jobs/", tokens["acme"], {"page": page.pk, "presenter": anna.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    reference = anna.consents.get().reference
    assert body["status"] == "queued"
    assert body["presenter"] == {"id": anna.pk, "name": "Anna (sales)"}
    assert body["image"] == anna.photo_id
    assert body["consent_reference"] == reference
    job = VideoJob.objects.get(job_id=body["id"])
    assert (job.presenter, job.image, job.consent_reference) == (anna, anna.photo, reference)
    [render] = sent_renders()
    assert render["job_id"] == job.job_id
    assert render["provenance"]["presenter_consent"] == reference
    # The same facts when the job is read back.
    assert call(client, "get", f"/jobs/{job.job_id}/", tokens["acme"]).json()["presenter"]["id"] == anna.pk


def test_without_a_presenter_the_default_presenter_is_named_in_the_job(world, client, tokens):
    response = call(client, "post", "/jobs/", tokens["acme"], {"page": world.product["acme"].pk})
    assert response.status_code == 201, response.content
    default = Presenter.objects.get(photo=world.orgs["acme"].default_presenter_image)
    assert response.json()["presenter"] == {"id": default.pk, "name": default.name}
    assert response.json()["consent_reference"] == default.consents.get().reference


def test_an_image_that_is_a_presenters_photo_still_works(world, client, tokens):
    anna = presenter_of(world, "acme", "Anna (sales)")
    body = {"page": world.product["acme"].pk, "image": anna.photo_id}
    response = call(client, "post", "/jobs/", tokens["acme"], body)
    assert response.status_code == 201, response.content
    assert response.json()["presenter"]["id"] == anna.pk and response.json()["status"] == "queued"


@pytest.mark.parametrize("whose", ["bluebird", "nobody"])
def test_another_organizations_presenter_is_a_field_error(world, client, tokens, whose):
    presenter_id = presenter_of(world, "bluebird", "Ben").pk if whose == "bluebird" else 999_999
    body = {"page": world.product["acme"].pk, "presenter": presenter_id}
    error = assert_error(call(client, "post", "/jobs/", tokens["acme"], body), 400, "invalid")
    assert error["fields"]["presenter"] == f"no presenter {presenter_id} in organization 'Acme'"
    assert not VideoJob.objects.exists()


def test_presenter_and_image_together_are_refused(world, client, tokens):
    anna = presenter_of(world, "acme", "Anna (sales)")
    body = {"page": world.product["acme"].pk, "presenter": anna.pk, "image": anna.photo_id}
    error = assert_error(call(client, "post", "/jobs/", tokens["acme"], body), 400, "invalid")
    assert "not both" in error["fields"]["image"]
    assert not VideoJob.objects.exists()


def test_a_presenter_without_consent_is_refused_with_the_reason_and_the_job_records_why(
    world, client, tokens, sent_renders, django_capture_on_commit_callbacks
):
    carl = presenter_of(world, "acme", "Carl", consented=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            client, "post", "/jobs/", tokens["acme"], {"page": world.product["acme"].pk, "presenter": carl.pk}
        )
    error = assert_error(response, 422, "no_consent")
    assert "'Carl' has no consent on record" in error["message"]
    assert "owner or admin of the organization" in error["message"]  # who can fix it
    job = VideoJob.objects.get(job_id=error["job"])
    assert (job.status, job.error_code, job.presenter, job.consent_reference) == (
        "failed",
        "no_consent",
        carl,
        "",
    )
    assert sent_renders() == []
    recorded = call(client, "get", f"/jobs/{job.job_id}/", tokens["acme"]).json()
    assert recorded["status"] == "failed"
    assert recorded["error"] == {"code": "no_consent", "message": error["message"]}
    assert recorded["presenter"] == {"id": carl.pk, "name": "Carl"}


def test_a_revoked_consent_is_refused_at_once(world, client, tokens):
    default = Presenter.objects.get(photo=world.orgs["acme"].default_presenter_image)
    default.consents.get().revoke(world.users[("owner", "acme")], "withdrawn by letter")
    response = call(client, "post", "/jobs/", tokens["acme"], {"page": world.product["acme"].pk})
    error = assert_error(response, 422, "no_consent")
    assert "withdrew consent" in error["message"]


def test_an_image_that_is_no_presenter_is_refused(world, client, tokens):
    stranger = make_image("stranger", world.orgs["acme"].collection)
    body = {"page": world.product["acme"].pk, "image": stranger.pk}
    error = assert_error(call(client, "post", "/jobs/", tokens["acme"], body), 422, "not_a_presenter")
    assert "'stranger' is no presenter of 'Acme'" in error["message"]
    assert VideoJob.objects.get(job_id=error["job"]).error_code == "not_a_presenter"


def test_an_empty_script_still_answers_201_with_the_failed_job(world, client, tokens):
    # Other missing inputs keep their answer: the job itself says what to set.
    page = world.product["acme"]
    page.title, page.description = " ", ""
    page.save()  # not published: publishing acme's page would start a video of its own
    response = call(client, "post", "/jobs/", tokens["acme"], {"page": page.pk, "script": ""})
    assert response.status_code == 201, response.content
    assert response.json()["error"]["code"] == "empty_script"


def test_the_openapi_document_describes_presenters_and_the_refusal():
    schemas = DOCUMENT["components"]["schemas"]
    assert {"presenter", "consent_reference"} <= set(schemas["Job"]["required"])
    assert "presenter" in schemas["JobCreate"]["properties"]
    create = DOCUMENT["paths"]["/api/video/v1/jobs/"]["post"]["responses"]
    assert "no_consent" in create["422"]["description"]
    assert "job" in schemas["Error"]["properties"]["error"]["properties"]
