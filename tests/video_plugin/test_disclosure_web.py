"""Telling viewers a video is AI-generated, on the web side: the note next to the product page's player with a
link to verify the video's content credentials, the API v2 ``ai_video`` field's ``ai_generated``, ``label``
and ``credentials``, and the brand kit form's three label fields."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from gpu_runner.protocol import DEFAULT_DISCLOSURE_TEXT, MAX_DISCLOSURE_CHARS, VideoEvent, captions_key
from tests.factories import still_render_result
from tests.video_plugin.test_brand import BASE, kit_form
from video_plugin.jobs.lifecycle import apply_event
from video_plugin.jobs.requests import request_video
from video_plugin.models import BrandKit, VideoJob
from video_plugin.public.disclosure import NOTE

pytestmark = pytest.mark.django_db
HOST = "shop.example"
SIGNED = {"signed": True, "issuer": "Demo shop", "manifest": "urn:c2pa:0000"}


def give_video(page, credentials: dict | None = None) -> VideoJob:
    """A current video of ``page`` whose runner reported ``credentials``, as the events worker applies it."""
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    result = still_render_result(
        job.output_key,
        captions_key=captions_key(job.output_key),
        width=512,
        height=512,
        credentials=credentials or {},
    )
    succeeded = VideoEvent(job.job_id, job.attempt, "succeeded", result=result)
    assert apply_event(VideoEvent.from_dict(succeeded.to_dict()))
    job.refresh_from_db()
    return job


@pytest.fixture
def api_host(settings):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]


def ai_video(client, page) -> dict:
    page.save_revision().publish()
    response = client.get(f"/api/v2/pages/{page.pk}/", HTTP_HOST=HOST)
    assert response.status_code == 200
    return response.json()["ai_video"]


def note_of(client, page) -> BeautifulSoup:
    page.save_revision().publish()
    html = BeautifulSoup(client.get(page.url, HTTP_HOST=HOST).content, "html.parser")
    video = html.select_one("video.product__video")
    assert video is not None, "the page shows no player"
    note = video.find_next_sibling("p", class_="aivideo-note")
    assert note is not None, "no note next to the player"
    return note


def test_api_says_the_video_is_ai_generated_with_its_label_and_where_to_verify_it(world, client, api_host):
    page = world.product["acme"]
    job = give_video(page, SIGNED)
    assert job.disclosure == {"text": DEFAULT_DISCLOSURE_TEXT, "position": "top_left", "enabled": True}

    field = ai_video(client, page)

    assert field["ai_generated"] is True
    assert field["label"] == DEFAULT_DISCLOSURE_TEXT
    assert field["credentials"]["standard"] == "C2PA"
    assert field["credentials"]["signed"] is True
    verify = urlsplit(field["credentials"]["verify_url"])
    assert (verify.scheme, verify.netloc, verify.path) == ("https", "contentcredentials.org", "/verify")
    # The verifier fetches the very file the API hands out, so the source is its absolute URL, encoded.
    assert parse_qs(verify.query) == {"source": [field["url"]]}
    assert field["url"].startswith(f"http://{HOST}/media/")
    assert "%2F" in verify.query and "/" not in verify.query


def test_api_label_follows_the_brand_kit_and_is_null_when_turned_off(world, client, api_host):
    acme, bluebird = world.product["acme"], world.product["bluebird"]
    BrandKit.objects.create(
        organization_id=world.orgs["acme"].pk, disclosure_text="AI生成", disclosure_position="bottom_right"
    )
    BrandKit.objects.create(organization_id=world.orgs["bluebird"].pk, disclosure_enabled=False)
    give_video(acme)
    give_video(bluebird, {"signed": False, "reason": "no signing certificate configured"})

    labelled, unlabelled = ai_video(client, acme), ai_video(client, bluebird)

    assert (labelled["label"], labelled["credentials"]["signed"]) == ("AI生成", None)
    assert (unlabelled["ai_generated"], unlabelled["label"]) == (True, None)
    assert unlabelled["credentials"]["signed"] is False
    assert unlabelled["credentials"]["verify_url"].startswith("https://contentcredentials.org/verify?source=")


def test_the_product_page_says_so_next_to_the_player_with_a_link_to_verify(world, client, api_host):
    page = world.product["acme"]
    give_video(page, SIGNED)

    note = note_of(client, page)

    assert " ".join(note.get_text(" ").split()).startswith(NOTE)
    link = note.select_one("a.aivideo-note__verify")
    assert link is not None and link.get_text(strip=True) == "Verify its content credentials"
    source = parse_qs(urlsplit(link["href"]).query)["source"][0]
    assert source.startswith(f"http://{HOST}/media/") and source.endswith(".mp4")
    assert link["rel"] == ["noopener"]


def test_an_unsigned_video_gets_the_note_without_a_verify_link(world, client, api_host):
    page = world.product["acme"]
    give_video(page, {"signed": False, "reason": "no signing certificate configured"})

    note = note_of(client, page)

    assert NOTE in " ".join(note.get_text(" ").split())
    assert note.select_one("a") is None


def test_a_page_without_a_video_shows_no_note(world, client, api_host):
    page = world.product["acme"]
    page.save_revision().publish()
    html = BeautifulSoup(client.get(page.url, HTTP_HOST=HOST).content, "html.parser")
    assert html.select_one("video") is None and html.select_one(".aivideo-note") is None


def test_the_brand_kit_form_shows_and_saves_the_label_wording_position_and_switch(client, world):
    kit = BrandKit.objects.create(organization_id=world.orgs["acme"].pk)
    client.force_login(world.users[("owner", "acme")])

    form = BeautifulSoup(client.get(f"{BASE}/edit/{kit.pk}/").content, "html.parser")
    for name in ("disclosure_enabled", "disclosure_text", "disclosure_position"):
        assert form.select_one(f"[name={name}]") is not None, f"{name} is not on the form"
    positions = [option["value"] for option in form.select("select[name=disclosure_position] option")]
    assert positions == ["top_left", "top_right", "bottom_left", "bottom_right"]
    text = form.get_text(" ")
    assert "The EU AI Act (Article 50) requires telling viewers" in text
    assert "label each video in its page's language" in text

    saved = client.post(
        f"{BASE}/edit/{kit.pk}/",
        kit_form(
            disclosure_enabled="on", disclosure_text="  AI生成の動画  ", disclosure_position="top_right"
        ),
    )
    assert saved.status_code == 302
    kit.refresh_from_db()
    assert (kit.disclosure_enabled, kit.disclosure_text, kit.disclosure_position) == (
        True,
        "AI生成の動画",
        "top_right",
    )

    too_long = client.post(
        f"{BASE}/edit/{kit.pk}/",
        kit_form(disclosure_enabled="on", disclosure_text="x" * (MAX_DISCLOSURE_CHARS + 1)),
    )
    assert too_long.status_code == 200
    assert f"at most {MAX_DISCLOSURE_CHARS} characters" in too_long.content.decode()
    kit.refresh_from_db()
    assert kit.disclosure_text == "AI生成の動画"
