"""schemathesis fuzzes the job API from its own OpenAPI document: no 500s, and every response (errors
included) matches the document. Examples are bounded so the whole run stays well under a minute."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth

from video_plugin.api.openapi import DOCUMENT
from video_plugin.models import ApiToken

schema = schemathesis.openapi.from_dict(DOCUMENT)
app = WSGIHandler()


@pytest.fixture
def keep_test_connection():
    """Requests reach Django through WSGI, not its test client: like the test client, keep Django from closing
    the database connection at each request's end, which would break the test's transaction (PostgreSQL)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(world, keep_test_connection) -> str:
    """acme's token; the world gives the fuzzer real pages and images, and another organization."""
    return ApiToken.issue(world.orgs["acme"].pk, "fuzzer")[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_job_api_honours_its_openapi_document(case, token):
    # The document's paths are absolute; the host only has to be one ALLOWED_HOSTS accepts. ignored_auth is
    # left out because its probe cannot use a WSGI app (it passes ``app`` to requests); tests/video_plugin/
    # test_job_api.py checks the 401s instead.
    # The fuzzer's own bearer value is replaced by the real token, but a negative case that leaves the header
    # out is sent without one: adding it back would turn the case valid, and a 200 would read as invalid
    # data accepted.
    sends_token = "Authorization" in (case.headers or {})
    case.call_and_validate(
        app=app,
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {token}"} if sends_token else {},
        excluded_checks=[ignored_auth],
    )
