"""Security of the job API (``/api/video/v1/``), claims 1 and 4 of issue 7 part 4.

- A token of another organization cannot get, list, cancel or create jobs for acme's pages, images or jobs;
  acme's ids answer 404 exactly like ids that do not exist, so existence does not leak.
- Sessions do not authenticate: an anonymous caller, acme's editor and even acme's owner logged in to the
  admin get 401 without a token (so the API needs no CSRF protection, and cookies cannot drive it).
- Tokens are stored hashed; webhook secrets appear in no API response.
"""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import client_as, finished_video
from video_plugin.models import ApiToken, VideoJob, WebhookEndpoint

pytestmark = pytest.mark.django_db
BASE = "/api/video/v1"


@pytest.fixture
def bluebird_token(world) -> str:
    """A token of the other organization: its owner's automation."""
    return ApiToken.issue(world.orgs["bluebird"].pk, "bluebird sync")[1]


def call(client, method: str, path: str, token: str | None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(BASE + path, **data, **headers)


def test_another_organizations_token_cannot_reach_acmes_jobs(world, client, bluebird_token):
    acme_job = finished_video(world.product["acme"])
    for method, path in (("get", f"/jobs/{acme_job.job_id}/"), ("post", f"/jobs/{acme_job.job_id}/cancel/")):
        found = call(client, method, path, bluebird_token)
        missing = call(client, method, path.replace(acme_job.job_id, "no-such-job-000000000"), bluebird_token)
        assert found.status_code == missing.status_code == 404
        assert found.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
        assert acme_job.script not in found.content.decode()
    listing = call(client, "get", "/jobs/", bluebird_token).json()
    assert listing["count"] == 0
    filtered = call(client, "get", f"/jobs/?page={world.product['acme'].pk}", bluebird_token).json()
    assert filtered == {"count": 0, "results": []}
    acme_job.refresh_from_db()
    assert acme_job.status == VideoJob.Status.SUCCEEDED


def test_another_organizations_token_cannot_create_jobs_for_acmes_pages_or_with_its_images(
    world, client, bluebird_token
):
    acme_page = world.product["acme"]
    response = call(client, "post", "/jobs/", bluebird_token, {"page": acme_page.pk})
    nonexistent = call(client, "post", "/jobs/", bluebird_token, {"page": 987654})
    assert response.status_code == nonexistent.status_code == 404
    assert response.json()["error"]["message"] == f"no page {acme_page.pk} in this organization"
    acme_image = world.orgs["acme"].default_presenter_image
    response = call(
        client,
        "post",
        "/jobs/",
        bluebird_token,
        {"page": world.product["bluebird"].pk, "image": acme_image.pk},
    )
    assert response.status_code == 400
    assert "image" in response.json()["error"]["fields"]
    assert not VideoJob.objects.exists()


def test_a_token_works_for_its_own_organization(world, client, bluebird_token):
    """The control: the same calls with the right organization's page succeed."""
    response = call(client, "post", "/jobs/", bluebird_token, {"page": world.product["bluebird"].pk})
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    assert call(client, "get", f"/jobs/{job_id}/", bluebird_token).status_code == 200
    assert call(client, "get", "/jobs/", bluebird_token).json()["count"] == 1


@pytest.mark.parametrize("actor", ["anonymous", "editor", "owner", "other_org_owner"])
def test_logged_in_sessions_are_not_credentials(world, actor):
    client = client_as(world, actor)
    page = world.product["acme"]
    for method, path, body in (
        ("get", "/jobs/", None),
        ("post", "/jobs/", {"page": page.pk}),
    ):
        response = call(client, method, path, None, body)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert not VideoJob.objects.exists()


def test_tokens_are_stored_only_as_a_hash(world):
    token, plain = ApiToken.issue(world.orgs["acme"].pk, "sync")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(plain not in str(value) for value in row.values())
    assert row["token_hash"] == ApiToken.hash(plain)


def test_webhook_secrets_are_in_no_api_response(world, client):
    acme = world.orgs["acme"].pk
    endpoint = WebhookEndpoint.objects.create(
        organization_id=acme, url="https://h.example/", events=["video.succeeded"]
    )
    job = finished_video(world.product["acme"])
    token = ApiToken.issue(acme, "sync")[1]
    bodies = [
        call(client, "get", "/jobs/", token).content,
        call(client, "get", f"/jobs/{job.job_id}/", token).content,
        client.get(BASE + "/openapi.json").content,
        client.get(f"/api/v2/pages/{world.product['acme'].pk}/").content,
        client.get("/api/v2/pages/?fields=*").content,
    ]
    for body in bodies:
        assert endpoint.secret.encode() not in body
        assert b"whsec_" not in body
