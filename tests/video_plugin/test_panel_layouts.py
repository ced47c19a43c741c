"""The panel's finished-video choices: layout, formats and burned-in captions offered with the organization's
defaults, sent with Generate and checked on the server, and every rendition of a finished job listed."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.urls import reverse

from gpu_runner.protocol import FORMATS, LAYOUT_LABELS, captions_key, poster_key, rendition_key
from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import BrandKit, VideoJob

pytestmark = pytest.mark.django_db

VALID = {
    "layouts": ["presenter", "presenter_product", "social"],
    "formats": ["landscape", "square", "vertical"],
}


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def generate(client, world, data):
    client.force_login(world.users[("admin", "acme")])
    return post_json(client, reverse("video_plugin:generate", args=[world.product["acme"].pk]), data)


def rendition(output_key: str, name: str, burned: bool) -> dict:
    """A rendition as the runner reports it (gpu_runner.protocol.Rendition)."""
    video_format = FORMATS[name]
    key = rendition_key(output_key, name)
    return {
        "format": name,
        "key": key,
        "poster_key": poster_key(key),
        "width": video_format.width,
        "height": video_format.height,
        "duration_s": 4.2,
        "bytes": 1_234_567,
        "sha256": "1" * 64,
        "layout": "social",
        "captions_burned": burned,
        "encoder": "libx264",
    }


def finished_with_renditions(page, names: list[str], burned: bool = True) -> VideoJob:
    job = request_video(page, None, VideoJob.Trigger.EDITOR, layout="social", formats=names)
    renditions = [rendition(job.output_key, name, burned) for name in names]
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED, renditions=renditions)
    job.refresh_from_db()
    attach_video(job, still_render_result(job.output_key, duration_s=4.2, renditions=renditions))
    return job


def test_generate_sends_the_chosen_layout_formats_and_captions_to_the_job(
    world, client, sent_renders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = generate(
            client, world, {"layout": "social", "formats": ["vertical", "square"], "burn_captions": False}
        )

    assert response.status_code == 202, response.content
    job = VideoJob.objects.get(page_id=world.product["acme"].pk)
    assert (job.layout, job.formats, job.burn_captions) == ("social", ["square", "vertical"], False)
    shown = response.json()["job"]
    assert (shown["layout"], shown["layout_label"]) == ("social", "Social (vertical, captions)")
    assert shown["formats"] == ["square", "vertical"] and shown["burn_captions"] is False
    (sent,) = sent_renders()
    assert sent["composition"]["layout"] == "social"
    assert sent["composition"]["formats"] == ["square", "vertical"]
    assert sent["composition"]["burn_captions"] is False


def test_generate_without_choices_takes_the_organizations_brand_kit_defaults(world, client):
    BrandKit.objects.create(
        organization_id=world.orgs["acme"].pk,
        default_layout="presenter",
        default_formats=["square", "landscape"],
        default_burn_captions=True,
    )

    assert generate(client, world, {"script": "Hello there."}).status_code == 202

    job = VideoJob.objects.get(page_id=world.product["acme"].pk)
    assert (job.layout, job.formats, job.burn_captions) == ("presenter", ["landscape", "square"], True)


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (
            {"layout": "carousel"},
            "unknown layout 'carousel'; valid layouts: presenter, presenter_product, social",
        ),
        ({"formats": ["portrait"]}, "unknown format 'portrait'; valid formats: landscape, square, vertical"),
        ({"formats": []}, "choose at least one format: landscape, square, vertical"),
        ({"formats": "landscape,4k"}, "unknown format '4k'; valid formats: landscape, square, vertical"),
        ({"burn_captions": "maybe"}, "burn_captions 'maybe' must be true or false"),
    ],
)
def test_generate_refuses_a_layout_or_format_it_does_not_know_and_queues_nothing(
    world, client, sent_renders, django_capture_on_commit_callbacks, choice, message
):
    with django_capture_on_commit_callbacks(execute=True):
        response = generate(client, world, {"script": "Hello there.", **choice})

    assert response.status_code == 400
    assert response.json() == {"error": message, "valid": VALID}
    assert not VideoJob.objects.exists() and sent_renders() == []


def test_the_panel_offers_each_layout_and_format_preset_to_the_organizations_defaults(world, client):
    BrandKit.objects.create(
        organization_id=world.orgs["acme"].pk, default_layout="presenter_product", default_formats=["square"]
    )
    page = world.product["acme"]
    client.force_login(world.users[("admin", "acme")])

    html = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()

    panel = BeautifulSoup(html, "html.parser").select_one(".aivideo-panel")
    layouts = panel.select("input[name=video_panel_layout]")
    assert [(i["value"], i.parent.get_text(" ", strip=True)) for i in layouts] == list(LAYOUT_LABELS.items())
    assert [i["value"] for i in layouts if i.has_attr("checked")] == ["presenter_product"]
    formats = panel.select("input[name=video_panel_formats]")
    assert [(i["value"], i.parent.get_text(" ", strip=True)) for i in formats] == [
        ("landscape", "Product page (16:9) 1920×1080"),
        ("square", "Feed (1:1) 1080×1080"),
        ("vertical", "Stories and shorts (9:16) 1080×1920"),
    ]
    assert [i["value"] for i in formats if i.has_attr("checked")] == ["square"]
    assert not panel.select_one("input[name=video_panel_burn_captions]").has_attr("checked")
    defaults = json.loads(panel["data-aivideo-panel-layout-defaults-value"])
    assert defaults == {
        "layout": "presenter_product",
        "by_layout": {
            "presenter": {"formats": ["landscape"], "burn_captions": False},
            "presenter_product": {"formats": ["square"], "burn_captions": False},
            "social": {"formats": ["vertical"], "burn_captions": True},
        },
    }


def test_a_finished_job_lists_every_rendition_with_its_player_and_download(world, client):
    page = world.product["acme"]
    job = finished_with_renditions(page, ["landscape", "square", "vertical"])
    client.force_login(world.users[("editor", "acme")])

    state = client.get(reverse("video_plugin:status", args=[page.pk])).json()

    shown = state["job"]["renditions"]
    base = f"/media/{job.output_key.removesuffix('.mp4')}"
    assert [r["format"] for r in shown] == ["landscape", "square", "vertical"]
    assert [r["label"] for r in shown] == [f.label for f in FORMATS.values()]
    assert [r["aspect"] for r in shown] == ["16:9", "1:1", "9:16"]
    assert [(r["width"], r["height"]) for r in shown] == [(1920, 1080), (1080, 1080), (1080, 1920)]
    assert [r["url"] for r in shown] == [f"{base}.{name}.mp4" for name in FORMATS]
    assert [r["poster_url"] for r in shown] == [f"{base}.{name}.jpg" for name in FORMATS]
    assert all(r["captions_burned"] and r["duration_text"] == "4 s" for r in shown)
    (entry,) = state["history"]
    assert entry["renditions"] == shown and entry["layout_label"] == "Social (vertical, captions)"


def test_each_renditions_captions_come_from_the_admin_timed_to_it(world, client):
    page = world.product["acme"]
    job = request_video(page, None, VideoJob.Trigger.EDITOR, formats=["landscape", "vertical"])
    renditions = [rendition(job.output_key, name, burned=False) for name in ("landscape", "vertical")]
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED, renditions=renditions)
    job.refresh_from_db()
    main_captions = captions_key(job.output_key)
    attach_video(job, still_render_result(job.output_key, captions_key=main_captions, renditions=renditions))
    storage = job.media.file.storage
    storage.save(main_captions, ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello.\n"))
    for entry in renditions:
        # As after a two-second intro card.
        cue = f"WEBVTT\n\n00:02.000 --> 00:03.000\nHello ({entry['format']}).\n"
        storage.save(captions_key(entry["key"]), ContentFile(cue.encode()))
    client.force_login(world.users[("editor", "acme")])

    shown = client.get(reverse("video_plugin:status", args=[page.pk])).json()["job"]["renditions"]

    main_url = reverse("video_plugin:job_captions", args=[page.pk, job.job_id])
    assert [r["captions_url"] for r in shown] == [
        f"{main_url}?format=landscape",
        f"{main_url}?format=vertical",
    ]
    for entry in shown:
        body = client.get(entry["captions_url"]).content.decode()
        assert body == f"WEBVTT\n\n00:02.000 --> 00:03.000\nHello ({entry['format']}).\n"
    assert client.get(main_url).content.decode().endswith("Hello.\n")
    assert client.get(f"{main_url}?format=square").status_code == 404
