"""A job's composition: its layout, formats and captions from the request or the brand kit's defaults, the
product's name, price and pictures from the page, the kit's look, every file filed under the organization's
prefix, and what was left out said on the job."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from wagtailmedia.models import get_media_model

from gpu_runner.protocol import ASSET_KEY_RE, LAYOUTS, Composition, ProtocolError
from shop.models import ProductGalleryImage
from tests.conftest import make_image
from video_plugin.jobs import composition
from video_plugin.jobs.composition import organization_defaults
from video_plugin.models import BrandKit, VideoJob

pytestmark = pytest.mark.django_db


def digest_of(image: Any) -> str:
    with image.file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def filed(key: str, storage: Any) -> str:
    """The sha256 of what is stored at ``key``."""
    with storage.open(key, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def with_pictures(world, main: Any, *gallery: Any) -> Any:
    page = world.product["acme"]
    page.product_image = main
    page.save()
    for order, image in enumerate(gallery):
        ProductGalleryImage.objects.create(page=page, image=image, sort_order=order)
    return page


def make_audio(collection: Any, title: str, kind: str = "audio", size: int = 2048) -> Any:
    return get_media_model().objects.create(
        title=title,
        type=kind,
        collection=collection,
        file=ContentFile(bytes([1]) * size, name=f"{title}.mp3"),
    )


def test_the_sent_message_composes_the_page_and_the_brand_kit(world, sent_renders, ask):
    acme = world.orgs["acme"]
    main, side = (
        make_image("lamp", acme.collection, (80, 60)),
        make_image("lamp side", acme.collection, (60, 80)),
    )
    page = with_pictures(world, main, side)
    logo = make_image("acme logo", acme.collection, (120, 40))
    kit = BrandKit.objects.create(
        organization_id=acme.pk,
        logo=logo,
        primary_colour="#112233",
        secondary_colour="#F0E0D0",
        intro_enabled=True,
        intro_seconds=1.5,
        outro_seconds=3.0,  # off: not part of the video
    )
    job = ask(page, VideoJob.Trigger.EDITOR, layout="presenter_product", formats=["vertical", "landscape"])
    assert job.status == VideoJob.Status.QUEUED, job.error_message
    (sent,) = sent_renders()
    org = acme.pk
    assert sent["composition"] == {
        "layout": "presenter_product",
        "formats": ["landscape", "vertical"],
        "burn_captions": False,
        "product_name": "Acme Lamp",
        "product_price": "$24",
        "product_image_keys": [
            f"{org}/products/{digest_of(main)}.png",
            f"{org}/products/{digest_of(side)}.png",
        ],
        "brand": {
            "primary_colour": "#112233",
            "secondary_colour": "#f0e0d0",
            "font": "noto-sans",
            "logo_key": f"{org}/brand/{digest_of(logo)}.png",
            "music_key": "",
            "intro_s": 1.5,
            "outro_s": 0.0,
            "version": kit.version,
        },
        "loudness_lufs": None,
    }
    # The runner's own parser takes it, and every file is the organization's filed copy of the right bytes.
    Composition.from_dict(sent["composition"], org)
    storage = main.file.storage
    for key, image in zip(sent["composition"]["product_image_keys"], (main, side), strict=True):
        assert filed(key, storage) == digest_of(image)
    assert filed(sent["composition"]["brand"]["logo_key"], storage) == digest_of(logo)
    assert (job.layout, job.formats, job.burn_captions, job.brand_version) == (
        "presenter_product",
        ["landscape", "vertical"],
        False,
        kit.version,
    )
    assert job.fallbacks == []


def test_another_organizations_product_picture_is_left_out_and_said(world, sent_renders, ask):
    foreign = make_image("bluebird tote", world.orgs["bluebird"].collection, (90, 90))
    own = make_image("acme lamp", world.orgs["acme"].collection, (70, 70))
    page = with_pictures(world, foreign, own)
    job = ask(page, VideoJob.Trigger.EDITOR, layout="presenter_product")
    (sent,) = sent_renders()
    keys = sent["composition"]["product_image_keys"]
    assert keys == [f"{world.orgs['acme'].pk}/products/{digest_of(own)}.png"]
    assert all(int(ASSET_KEY_RE.match(key)["org"]) == world.orgs["acme"].pk for key in keys)
    assert job.fallbacks == [
        f"the product picture 'bluebird tote' (id {foreign.pk}) is not one of 'Acme''s images, so the video "
        "leaves it out: use pictures from the organization's own collection"
    ]
    assert not foreign.file.storage.exists(f"{world.orgs['acme'].pk}/products/{digest_of(foreign)}.png")


def test_presenter_and_product_without_a_picture_falls_back_to_presenter_and_says_so(
    world, sent_renders, ask
):
    job = ask(world.product["acme"], VideoJob.Trigger.EDITOR, layout="presenter_product")
    (sent,) = sent_renders()
    assert sent["composition"]["layout"] == job.layout == "presenter"
    assert job.fallbacks == [
        "page 'Acme Lamp' has no product picture the organization may use, so the video uses the presenter "
        "layout instead of presenter and product: give the page a product image"
    ]


def test_a_product_name_too_long_for_the_lower_third_is_shortened_and_said(world, sent_renders, ask):
    page = world.product["acme"]
    page.title = "Lamp " * 50  # 250 characters
    page.save()
    job = ask(page, VideoJob.Trigger.EDITOR)
    name = sent_renders()[0]["composition"]["product_name"]
    assert len(name) == 200 and name.endswith("…") and name.startswith("Lamp Lamp")
    assert "the product name has 249 characters; the video shows its first 199 and '…'" in job.fallbacks


def test_a_logo_too_large_or_of_another_organization_is_left_out_and_said(
    world, sent_renders, monkeypatch, ask
):
    acme = world.orgs["acme"]
    kit = BrandKit.objects.create(organization_id=acme.pk, logo=make_image("big logo", acme.collection))
    monkeypatch.setattr(composition, "MAX_LOGO_BYTES", 100)
    first = ask(world.product["acme"], VideoJob.Trigger.EDITOR)
    assert sent_renders()[0]["composition"]["brand"]["logo_key"] == ""
    assert len(first.fallbacks) == 1
    assert first.fallbacks[0].startswith(
        "the video has no logo: the brand kit's logo 'big logo' was left out"
    )
    size = kit.logo.file.size
    assert 100 < size < 1024 and first.fallbacks[0].endswith(
        f"because it has {size} bytes; upload one of at most 100 bytes"
    )
    VideoJob.objects.filter(pk=first.pk).update(status=VideoJob.Status.CANCELLED)

    # Saved around the admin form's check (a script, an older version): the request refuses it too.
    kit.logo = make_image("bluebird logo", world.orgs["bluebird"].collection)
    kit.save()
    second = ask(world.product["acme"], VideoJob.Trigger.EDITOR)
    assert sent_renders()[1]["composition"]["brand"]["logo_key"] == ""
    assert "it is not one of 'Acme''s images" in second.fallbacks[0]


def test_music_must_be_audio_in_the_organizations_collection(world, sent_renders, ask):
    acme = world.orgs["acme"]
    kit = BrandKit.objects.create(organization_id=acme.pk, music=make_audio(acme.collection, "jingle"))
    ask(world.product["acme"], VideoJob.Trigger.EDITOR)
    music_key = sent_renders()[0]["composition"]["brand"]["music_key"]
    assert ASSET_KEY_RE.match(music_key)["kind"] == "brand" and music_key.endswith(".mp3")
    assert music_key == f"{acme.pk}/brand/{hashlib.sha256(bytes([1]) * 2048).hexdigest()}.mp3"
    VideoJob.objects.all().update(status=VideoJob.Status.CANCELLED)

    kit.music = make_audio(acme.collection, "clip", kind="video")
    kit.save()
    job = ask(world.product["acme"], VideoJob.Trigger.EDITOR)
    assert sent_renders()[1]["composition"]["brand"]["music_key"] == ""
    assert job.fallbacks == [
        "the video has no music: the brand kit's music 'clip' was left out because it is a video item, not "
        "audio; choose an audio file"
    ]


def test_organization_defaults_come_from_the_brand_kit(world):
    acme = world.orgs["acme"].pk
    assert organization_defaults(acme) == ("presenter", ("landscape",), False)
    kit = BrandKit.objects.create(organization_id=acme, default_layout="social")
    assert organization_defaults(acme) == ("social", ("vertical",), True)
    kit.default_layout, kit.default_formats = "presenter_product", ["square", "landscape"]
    kit.default_burn_captions = True
    kit.save()
    assert organization_defaults(acme) == ("presenter_product", ("landscape", "square"), True)


def test_publish_and_batch_jobs_use_the_defaults_and_a_chosen_layout_its_own_formats(
    world, sent_renders, ask
):
    acme = world.orgs["acme"]
    BrandKit.objects.create(organization_id=acme.pk, default_layout="presenter", default_formats=["square"])
    published = ask(world.product["acme"], VideoJob.Trigger.PUBLISH)
    assert (published.layout, published.formats, published.burn_captions) == ("presenter", ["square"], False)
    VideoJob.objects.all().update(status=VideoJob.Status.CANCELLED)
    social = ask(world.product["acme"], VideoJob.Trigger.EDITOR, layout="social")
    assert (social.layout, social.formats, social.burn_captions) == ("social", ["vertical"], True)
    VideoJob.objects.all().update(status=VideoJob.Status.CANCELLED)
    quiet = ask(world.product["acme"], VideoJob.Trigger.EDITOR, layout="social", burn_captions=False)
    assert quiet.burn_captions is False


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (
            {"layout": "carousel"},
            "unknown layout 'carousel'; valid layouts: presenter, presenter_product, social",
        ),
        ({"formats": ["landscape", "4k"]}, "unknown format '4k'; valid formats: landscape, square, vertical"),
        ({"formats": []}, "formats must be a non-empty list of: landscape, square, vertical"),
    ],
)
def test_an_unknown_layout_or_format_is_refused_listing_the_valid_ones(
    world, sent_renders, choice, message, ask
):
    with pytest.raises(ProtocolError) as refused:
        ask(world.product["acme"], VideoJob.Trigger.EDITOR, **choice)
    assert isinstance(refused.value, ValueError) and str(refused.value) == message
    assert not VideoJob.objects.exists() and sent_renders() == []
    assert set(LAYOUTS) == {"presenter", "presenter_product", "social"}


def test_a_product_picture_storage_cannot_copy_fails_the_job_saying_so(world, sent_renders, ask, monkeypatch):
    page = with_pictures(world, make_image("lamp", world.orgs["acme"].collection, (30, 30)))

    def unreachable(*args: Any, **kwargs: Any) -> str:
        raise OSError("No space left on device")

    monkeypatch.setattr(composition, "file_asset", unreachable)
    job = ask(page, VideoJob.Trigger.EDITOR, layout="presenter_product")
    assert (job.status, job.error_code) == (VideoJob.Status.FAILED, "storage_unreachable")
    assert job.error_message == (
        "the product pictures or brand files of page 'Acme Lamp' could not be read or copied in storage "
        "(OSError: No space left on device); check VIDEO_STORAGE_URL and try again"
    )
    assert sent_renders() == [] and VideoJob.objects.get(pk=job.pk).status == VideoJob.Status.FAILED
