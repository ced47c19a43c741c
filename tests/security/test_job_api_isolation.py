"""Security of the job API (``/api/video/v1/``), claims 1 and 4 of issue 7 part 4, under the shop's tenancy
and the plugin's default (``tenant``, see ``conftest``).

- A token of another organization (bluebird's; under the default tenancy, one of an organization id the site
  is not) cannot get, list, cancel or create jobs for the page's organization; its ids answer 404 exactly
  like ids that do not exist, so existence does not leak.
- A token cannot name an image of another organization (shop) as the presenter.
- Sessions do not authenticate: an anonymous caller, a viewer and even a generator logged in to the admin get
  401 without a token (so the API needs no CSRF protection, and cookies cannot drive it).
- Tokens are stored hashed; webhook secrets appear in no API response.
"""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import finished_video
from video_plugin.models import ApiToken, VideoJob, WebhookEndpoint

pytestmark = pytest.mark.django_db
BASE = "/api/video/v1"


@pytest.fixture
def foreign_token(tenant) -> str:
    """A token of an organization that is not the page's: another organization's automation."""
    return ApiToken.issue(tenant.foreign_organization_id, "foreign sync")[1]


def call(client, method: str, path: str, token: str | None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(BASE + path, **data, **headers)


def test_another_organizations_token_cannot_reach_the_pages_jobs(tenant, client, foreign_token):
    job = finished_video(tenant.page)
    for method, path in (("get", f"/jobs/{job.job_id}/"), ("post", f"/jobs/{job.job_id}/cancel/")):
        found = call(client, method, path, foreign_token)
        missing = call(client, method, path.replace(job.job_id, "no-such-job-000000000"), foreign_token)
        assert found.status_code == missing.status_code == 404
        assert found.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
        assert job.script not in found.content.decode()
    listing = call(client, "get", "/jobs/", foreign_token).json()
    assert listing["count"] == 0
    filtered = call(client, "get", f"/jobs/?page={tenant.page.pk}", foreign_token).json()
    assert filtered == {"count": 0, "results": []}
    job.refresh_from_db()
    assert job.status == VideoJob.Status.SUCCEEDED


def test_another_organizations_token_cannot_create_jobs_for_the_page(tenant, client, foreign_token):
    response = call(client, "post", "/jobs/", foreign_token, {"page": tenant.page.pk})
    nonexistent = call(client, "post", "/jobs/", foreign_token, {"page": 987654})
    assert response.status_code == nonexistent.status_code == 404
    assert response.json()["error"]["message"] == f"no page {tenant.page.pk} in this organization"
    assert not VideoJob.objects.exists()


def test_a_token_cannot_use_another_organizations_image(world, client):
    """Shop only: under the default tenancy the site's one organization may use every image."""
    token = ApiToken.issue(world.orgs["bluebird"].pk, "bluebird sync")[1]
    acme_image = world.orgs["acme"].default_presenter_image
    response = call(
        client, "post", "/jobs/", token, {"page": world.product["bluebird"].pk, "image": acme_image.pk}
    )
    assert response.status_code == 400
    assert "image" in response.json()["error"]["fields"]
    assert not VideoJob.objects.exists()


def test_a_token_works_for_its_own_organization(tenant, client):
    """The control: the same calls with the page's own organization's token succeed."""
    token = ApiToken.issue(tenant.organization_id, "own sync")[1]
    response = call(client, "post", "/jobs/", token, {"page": tenant.page.pk})
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    assert call(client, "get", f"/jobs/{job_id}/", token).status_code == 200
    assert call(client, "get", "/jobs/", token).json()["count"] == 1


@pytest.mark.parametrize("part", ["anonymous", "viewer", "generator", "outsider"])
def test_logged_in_sessions_are_not_credentials(tenant, part):
    client = tenant.client(part)
    for method, path, body in (
        ("get", "/jobs/", None),
        ("post", "/jobs/", {"page": tenant.page.pk}),
    ):
        response = call(client, method, path, None, body)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert not VideoJob.objects.exists()


def test_tokens_are_stored_only_as_a_hash(tenant):
    token, plain = ApiToken.issue(tenant.organization_id, "sync")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(plain not in str(value) for value in row.values())
    assert row["token_hash"] == ApiToken.hash(plain)


def test_webhook_secrets_are_in_no_api_response(tenant, client):
    endpoint = WebhookEndpoint.objects.create(
        organization_id=tenant.organization_id, url="https://h.example/", events=["video.succeeded"]
    )
    job = finished_video(tenant.page)
    token = ApiToken.issue(tenant.organization_id, "sync")[1]
    bodies = [
        call(client, "get", "/jobs/", token).content,
        call(client, "get", f"/jobs/{job.job_id}/", token).content,
        client.get(BASE + "/openapi.json").content,
        client.get(f"/api/v2/pages/{tenant.page.pk}/").content,
        client.get("/api/v2/pages/?fields=*").content,
    ]
    for body in bodies:
        assert endpoint.secret.encode() not in body
        assert b"whsec_" not in body
