"""The job API: token auth per organization, create/get/list/cancel, layouts and formats, the in-flight limit,
JSON errors, and the OpenAPI document matching the routes."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
from django.urls import reverse
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from gpu_runner.protocol import FORMATS, MAX_SCRIPT_CHARS, cancel_key
from tests.conftest import make_image
from tests.factories import make_presenter
from video_plugin.api import urls as api_urls
from video_plugin.api.errors import RequestTooLarge
from video_plugin.api.openapi import DOCUMENT
from video_plugin.api.parsers import MAX_JSON_DEPTH, BoundedJSONParser
from video_plugin.conf import LONGEST_JOB_REQUEST_BYTES, video_settings
from video_plugin.jobs.requests import request_video
from video_plugin.models import ApiToken, BrandKit, VideoJob

BASE = "/api/video/v1"


@pytest.fixture
def tokens(world):
    """A plain token for each organization."""
    return {slug: ApiToken.issue(org.pk, f"{slug} automation")[1] for slug, org in world.orgs.items()}


def call(client, method: str, path: str, token: str | None = None, body=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(BASE + path, **kwargs, **headers, **extra)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


@pytest.mark.django_db
def test_tokens_are_stored_hashed_and_shown_once(world):
    token, plain = ApiToken.issue(world.orgs["acme"].pk, "sync")
    assert plain.startswith("vt_") and len(plain) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert plain not in {stored.token_hash, stored.prefix, stored.name}
    assert stored.token_hash == ApiToken.hash(plain)
    assert plain.startswith(stored.prefix)


@pytest.mark.django_db
def test_requests_without_a_valid_token_get_401_json(world, client, tokens):
    assert_error(call(client, "get", "/jobs/"), 401, "not_authenticated")
    assert_error(call(client, "get", "/jobs/", token="vt_nope"), 401, "authentication_failed")
    response = client.get(BASE + "/jobs/", HTTP_AUTHORIZATION="Token abc")
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_deleted_token_stops_working(world, client, tokens):
    ApiToken.objects.filter(organization_id=world.orgs["acme"].pk).delete()
    assert_error(call(client, "get", "/jobs/", tokens["acme"]), 401, "authentication_failed")


@pytest.mark.django_db
def test_create_get_and_list_a_job(world, client, tokens, sent_renders, django_capture_on_commit_callbacks):
    page = world.product["acme"]
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            client,
            "post",
            "/jobs/",
            tokens["acme"],
            {"page": page.pk, "script": "Hello there.", "voice": "espeak:de"},
        )
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["status"], job["trigger"], job["page"]) == ("queued", "api", page.pk)
    assert (job["script"], job["voice"]) == ("Hello there.", "espeak:de")
    assert [render["job_id"] for render in sent_renders()] == [job["id"]]
    assert VideoJob.objects.get(job_id=job["id"]).api_token.name == "acme automation"  # the panel names it

    assert call(client, "get", f"/jobs/{job['id']}/", tokens["acme"]).json() == job
    again = call(client, "post", "/jobs/", tokens["acme"], {"page": page.pk})
    assert again.status_code == 200 and again.json()["id"] == job["id"], "a page's job in flight is joined"

    listing = call(client, "get", "/jobs/", tokens["acme"]).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == job["id"]


@pytest.mark.django_db
def test_a_custom_presenter_image_must_be_the_organizations(world, client, tokens):
    own = make_image("acme other", world.orgs["acme"].collection)
    make_presenter(own, world.orgs["acme"].pk)  # a photo is animated only as a presenter's
    foreign = make_image("bluebird other", world.orgs["bluebird"].collection)
    page = world.product["acme"]
    error = assert_error(
        call(client, "post", "/jobs/", tokens["acme"], {"page": page.pk, "image": foreign.pk}), 400, "invalid"
    )
    assert "image" in error["fields"]
    created = call(client, "post", "/jobs/", tokens["acme"], {"page": page.pk, "image": own.pk})
    assert created.status_code == 201 and created.json()["image"] == own.pk


@pytest.mark.django_db
def test_organizations_never_see_each_others_pages_or_jobs(world, client, tokens):
    foreign_page = world.product["bluebird"]
    assert_error(call(client, "post", "/jobs/", tokens["acme"], {"page": foreign_page.pk}), 404, "not_found")
    foreign_job = request_video(foreign_page, None, VideoJob.Trigger.EDITOR)
    assert_error(call(client, "get", f"/jobs/{foreign_job.job_id}/", tokens["acme"]), 404, "not_found")
    assert_error(
        call(client, "post", f"/jobs/{foreign_job.job_id}/cancel/", tokens["acme"]), 404, "not_found"
    )
    assert call(client, "get", "/jobs/", tokens["acme"]).json() == {"count": 0, "results": []}
    assert VideoJob.objects.get(pk=foreign_job.pk).status == VideoJob.Status.QUEUED


@pytest.mark.django_db
def test_list_filters(world, client, tokens):
    acme = world.product["acme"]
    old = request_video(acme, None, VideoJob.Trigger.EDITOR)
    VideoJob.objects.filter(pk=old.pk).update(
        status=VideoJob.Status.FAILED, created_at=timezone.now() - timedelta(days=3)
    )
    new = request_video(acme, None, VideoJob.Trigger.PUBLISH)

    def ids(query: str) -> list[str]:
        response = call(client, "get", f"/jobs/?{query}", tokens["acme"])
        assert response.status_code == 200, response.content
        return [job["id"] for job in response.json()["results"]]

    assert ids("") == [new.job_id, old.job_id]
    assert ids("status=failed") == [old.job_id]
    assert ids("trigger=publish") == [new.job_id]
    assert ids(f"page={acme.pk}&status=queued") == [new.job_id]
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"created_after={since}") == [new.job_id]
    assert ids(f"created_before={since}") == [old.job_id]
    assert ids("limit=1&offset=1") == [old.job_id]
    assert_error(call(client, "get", "/jobs/?status=bogus", tokens["acme"]), 400, "invalid")


@pytest.mark.django_db
def test_cancel_marks_the_job_and_sets_the_runners_cancel_key(world, client, tokens, settings):
    try:
        broker = RedisBroker(url="redis://127.0.0.1:6379/15")
        broker.client.ping()
    except redis.RedisError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    import dramatiq

    dramatiq.set_broker(broker)  # the stub_broker fixture restores the previous broker afterwards
    job = request_video(world.product["acme"], None, VideoJob.Trigger.API)
    try:
        response = call(client, "post", f"/jobs/{job.job_id}/cancel/", tokens["acme"])
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "cancelled"
        assert broker.client.exists(cancel_key(job.job_id))
        assert 0 < broker.client.ttl(cancel_key(job.job_id))
        assert_error(call(client, "post", f"/jobs/{job.job_id}/cancel/", tokens["acme"]), 409, "job_finished")
    finally:
        broker.client.delete(cancel_key(job.job_id))
        broker.close()


@pytest.mark.django_db
def test_too_many_jobs_in_flight_answers_429_with_retry_after(world, client, tokens, settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "API_MAX_IN_FLIGHT": 1, "API_RETRY_AFTER_S": 45}
    from shop.models import ProductPage

    second = world.index["acme"].add_child(instance=ProductPage(title="Second", slug="second", price=1))
    running = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR)
    response = call(client, "post", "/jobs/", tokens["acme"], {"page": second.pk})
    assert_error(response, 429, "too_many_jobs")
    assert response["Retry-After"] == "45"
    VideoJob.objects.filter(pk=running.pk).update(status=VideoJob.Status.RUNNING, eta_s=7.2)
    assert call(client, "post", "/jobs/", tokens["acme"], {"page": second.pk})["Retry-After"] == "8"
    # The other organization's limit is its own.
    other = call(client, "post", "/jobs/", tokens["bluebird"], {"page": world.product["bluebird"].pk})
    assert other.status_code == 201


@pytest.mark.django_db
def test_every_error_is_json(world, client, tokens):
    assert_error(call(client, "get", "/nowhere/", tokens["acme"]), 404, "not_found")
    assert_error(call(client, "get", "/jobs/unknownjob/", tokens["acme"]), 404, "not_found")
    assert_error(call(client, "delete", "/jobs/", tokens["acme"]), 405, "method_not_allowed")
    assert_error(call(client, "post", "/jobs/", tokens["acme"], {"page": "x"}), 400, "invalid")
    assert_error(call(client, "post", "/jobs/", tokens["acme"], {"page": 2**70}), 400, "invalid")
    long_script = {"page": world.product["acme"].pk, "script": "a" * 3001}
    assert (
        "script"
        in assert_error(call(client, "post", "/jobs/", tokens["acme"], long_script), 400, "invalid")["fields"]
    )
    bad_json = client.post(
        BASE + "/jobs/",
        data="{",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tokens['acme']}",
    )
    assert_error(bad_json, 400, "parse_error")
    form = client.post(BASE + "/jobs/", data={"page": 1}, HTTP_AUTHORIZATION=f"Bearer {tokens['acme']}")
    assert_error(form, 415, "unsupported_media_type")


def post_raw(client, token: str, body: str | bytes, **extra):
    """POST a body exactly as given, the way a hostile or broken client would."""
    return client.post(
        BASE + "/jobs/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **extra,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,
        "[" * 5_000 + "]" * 5_000,
        '{"page": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1),
    ],
    ids=["unclosed", "balanced", "one-too-deep"],
)
def test_a_deeply_nested_body_is_a_400_parse_error_not_a_500(world, client, tokens, body):
    error = assert_error(post_raw(client, tokens["acme"], body), 400, "parse_error")
    assert f"more than {MAX_JSON_DEPTH} deep" in error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("charset", ["latin-1", "utf-16"])
def test_a_body_in_another_charset_than_utf8_is_a_400_parse_error(world, client, tokens, charset):
    """JSON between systems is UTF-8. (Django's test client cannot send a body in a codec that is not a text
    encoding, such as bz2_codec, which the same rule refuses.)"""
    response = client.post(
        BASE + "/jobs/",
        data=b'{"page": 1}',
        content_type=f"application/json; charset={charset}",
        HTTP_AUTHORIZATION=f"Bearer {tokens['acme']}",
    )
    error = assert_error(response, 400, "parse_error")
    assert "send UTF-8 JSON" in error["message"]


@pytest.mark.django_db
def test_nesting_up_to_the_limit_parses_and_brackets_in_strings_do_not_count(world, client, tokens):
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert_error(post_raw(client, tokens["acme"], at_limit), 400, "invalid")  # parsed; not a job request
    script = "[" * 1000 + "{" * 1000
    response = call(
        client, "post", "/jobs/", tokens["acme"], {"page": world.product["acme"].pk, "script": script}
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_413_json_error(world, client, tokens):
    """20 MB used to reach Django's DATA_UPLOAD_MAX_MEMORY_SIZE through request.body: an HTML 400."""
    body = '{"page": 1, "script": "' + "a" * 20_000_000 + '"}'
    error = assert_error(post_raw(client, tokens["acme"], body), 413, "too_large")
    assert "API_MAX_BODY_BYTES" in error["message"]
    just_over = '{"page": 1, "script": "' + "a" * (256 * 1024) + '"}'
    assert_error(post_raw(client, tokens["acme"], just_over), 413, "too_large")


@pytest.mark.django_db
def test_the_longest_legitimate_request_fits_even_the_smallest_allowed_limit(world, client, tokens, settings):
    settings.WAGTAIL_VIDEO = {**settings.WAGTAIL_VIDEO, "API_MAX_BODY_BYTES": LONGEST_JOB_REQUEST_BYTES}
    # Every character a surrogate pair escaped by json.dumps: 12 bytes each, the most a character can take.
    longest = {"page": world.product["acme"].pk, "script": "\N{GRINNING FACE}" * MAX_SCRIPT_CHARS}
    body = json.dumps(longest, indent=4)
    assert len(body) > 12 * MAX_SCRIPT_CHARS
    response = post_raw(client, tokens["acme"], body)
    assert response.status_code == 201, response.content[:500]
    assert_error(post_raw(client, tokens["acme"], body + " " * LONGEST_JOB_REQUEST_BYTES), 413, "too_large")


class CountingStream(io.BytesIO):
    """A request body that remembers how many bytes were asked of it."""

    asked = 0

    def read(self, size: int | None = -1) -> bytes:
        self.asked += size if size is not None and size >= 0 else len(self.getvalue())
        return super().read(size)


def test_the_parser_never_reads_past_the_limit_when_content_length_understates_the_body():
    limit = video_settings.API_MAX_BODY_BYTES
    stream = CountingStream(b"[" + b" " * 10 * limit + b"]")
    request = SimpleNamespace(META={"CONTENT_LENGTH": "2"})
    with pytest.raises(RequestTooLarge):
        BoundedJSONParser().parse(stream, "application/json", {"request": request})
    assert stream.asked == limit + 1


def test_openapi_document_is_served_and_names_every_route(client):
    from openapi_spec_validator import validate

    response = client.get(BASE + "/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document == json.loads(json.dumps(DOCUMENT))
    # Every named route of the API, with a sample job id, is a documented path, and the other way round.
    routed = {
        reverse(name, kwargs={"job_id": "SAMPLE"} if name != "video-api-jobs" else None).replace(
            "SAMPLE", "{job_id}"
        )
        for name in ("video-api-jobs", "video-api-job", "video-api-cancel")
    }
    assert routed == set(document["paths"])
    assert len([p for p in api_urls.urlpatterns if p.name]) == len(document["paths"]) + 1  # + openapi.json


@pytest.mark.django_db
def test_a_job_chooses_its_layout_formats_and_captions(
    world, client, tokens, sent_renders, django_capture_on_commit_callbacks
):
    body = {
        "page": world.product["acme"].pk,
        "layout": "social",
        "formats": ["square", "vertical"],
        "burn_captions": False,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, "post", "/jobs/", tokens["acme"], body)
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["layout"], job["formats"], job["burn_captions"]) == ("social", ["square", "vertical"], False)
    assert job["renditions"] == [] and job["video"] is None
    (sent,) = sent_renders()
    composition = sent["composition"]
    assert (composition["layout"], composition["formats"], composition["burn_captions"]) == (
        "social",
        ["square", "vertical"],
        False,
    )


@pytest.mark.django_db
def test_a_job_without_choices_takes_the_brand_kits_defaults(world, client, tokens):
    BrandKit.objects.create(organization_id=world.orgs["acme"].pk, default_layout="social")
    job = call(client, "post", "/jobs/", tokens["acme"], {"page": world.product["acme"].pk}).json()
    assert (job["layout"], job["formats"], job["burn_captions"]) == ("social", ["vertical"], True)


@pytest.mark.parametrize(
    ("choice", "field", "message"),
    [
        (
            {"layout": "carousel"},
            "layout",
            "unknown layout 'carousel'; valid layouts: presenter, presenter_product, social",
        ),
        ({"layout": 3}, "layout", "unknown layout '3'; valid layouts: presenter, presenter_product, social"),
        (
            {"formats": ["square", "4k"]},
            "formats",
            "unknown format '4k'; valid formats: landscape, square, vertical",
        ),
        (
            {"formats": "square"},
            "formats",
            "formats must be a non-empty list of: landscape, square, vertical",
        ),
        ({"formats": []}, "formats", "formats must be a non-empty list of: landscape, square, vertical"),
        (
            {"formats": [{"name": "square"}]},
            "formats",
            "formats must be a non-empty list of: landscape, square, vertical",
        ),
        (
            {"formats": ["square", "square"]},
            "formats",
            "a format is listed twice; list each of landscape, square, vertical at most once",
        ),
        ({"burn_captions": "yes"}, "burn_captions", "must be true or false"),
    ],
)
@pytest.mark.django_db
def test_an_unknown_layout_or_format_is_a_400_listing_the_valid_ones(
    world, client, tokens, choice, field, message
):
    body = {"page": world.product["acme"].pk, **choice}
    error = assert_error(call(client, "post", "/jobs/", tokens["acme"], body), 400, "invalid")
    assert error["fields"] == {field: message}
    assert error["message"] == f"the request is not valid: {field}: {message}"
    assert not VideoJob.objects.exists()


def test_openapi_documents_the_layouts_formats_and_renditions():
    schemas = DOCUMENT["components"]["schemas"]
    create = schemas["JobCreate"]["properties"]
    assert create["layout"]["enum"] == ["presenter", "presenter_product", "social"]
    assert create["formats"]["items"]["enum"] == ["landscape", "square", "vertical"]
    assert (create["formats"]["minItems"], create["formats"]["uniqueItems"]) == (1, True)
    assert create["burn_captions"]["type"] == "boolean"
    job = schemas["Job"]
    assert {"layout", "formats", "burn_captions", "renditions"} <= set(job["required"])
    assert job["properties"]["renditions"]["items"] == {"$ref": "#/components/schemas/Rendition"}
    rendition = schemas["Rendition"]
    assert rendition["required"] == [
        "format",
        "width",
        "height",
        "url",
        "poster_url",
        "captions_url",
        "captions_burned",
    ]
    assert rendition["properties"]["format"]["enum"] == list(FORMATS)


@pytest.mark.django_db
def test_a_path_with_a_newline_gets_the_apis_json_404(world, client, tokens):
    response = call(client, "get", "/jobs/%2B%0A/", tokens["acme"])
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found")
