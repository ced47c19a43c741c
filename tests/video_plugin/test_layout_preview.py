"""The panel's live preview of a layout in a format: drawn from the page's presenter, pictures and brand kit,
in the format's shape, within a second, for those who may see the page's videos only."""

from __future__ import annotations

import io
import time
from urllib.parse import unquote

import numpy as np
import pytest
from django.core.files.images import ImageFile
from django.urls import reverse
from PIL import Image as PILImage
from PIL import ImageChops
from wagtail.images import get_image_model

from gpu_runner.protocol import FORMATS
from gpu_runner.scene import place
from video_plugin.editor.layout_preview import LAYOUT_NOTE_HEADER, PICTURE_FILTER, PREVIEW_LONG_SIDE
from video_plugin.models import BrandKit, VideoJob

pytestmark = pytest.mark.django_db

PRODUCT_COLOUR = (20, 200, 60)
BRAND_PRIMARY = "#c01030"


def solid_image(title: str, collection, colour: tuple[int, int, int], size=(600, 600)):
    """A saved Wagtail image of one colour, in ``collection``."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    image = get_image_model()(title=title, collection=collection)
    image.file = ImageFile(buffer, name=f"{title.replace(' ', '-')}.png")
    image.save()
    return image


def preview(client, page, **query):
    return client.get(reverse("video_plugin:layout_preview", args=[page.pk]), query)


def decoded(response) -> PILImage.Image:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/jpeg" and "no-store" in response["Cache-Control"]
    return PILImage.open(io.BytesIO(response.content)).convert("RGB")


def share_of(picture: PILImage.Image, colour: tuple[int, int, int], tolerance: int = 24) -> float:
    """The share of ``picture``'s pixels within ``tolerance`` of ``colour`` on every channel."""
    distance = np.abs(np.asarray(picture, dtype=np.int16) - np.array(colour, dtype=np.int16))
    return float(np.all(distance <= tolerance, axis=2).mean())


@pytest.fixture
def shop(world):
    """Acme's product page with a green product picture, and a brand kit with a red primary colour."""
    organization = world.orgs["acme"]
    page = world.product["acme"]
    page.product_image = solid_image("acme lamp", organization.collection, PRODUCT_COLOUR)
    page.save()
    BrandKit.objects.create(organization_id=organization.pk, primary_colour=BRAND_PRIMARY)
    return world


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_preview_has_the_formats_shape_and_comes_within_a_second(shop, client, name):
    client.force_login(shop.users[("editor", "acme")])
    page = shop.product["acme"]
    preview(client, page, layout="presenter_product", format=name)  # Wagtail makes the small renditions once

    started = time.perf_counter()
    response = preview(client, page, layout="presenter_product", format=name)
    elapsed = time.perf_counter() - started

    picture = decoded(response)
    video_format = FORMATS[name]
    assert max(picture.size) == PREVIEW_LONG_SIDE
    assert picture.width / picture.height == pytest.approx(video_format.width / video_format.height, abs=0.01)
    assert elapsed < 1.0, f"the {name} preview took {elapsed:.2f} s"
    assert not VideoJob.objects.exists(), "a preview queues nothing"


def test_the_first_preview_of_a_large_picture_makes_its_small_rendition_once(shop, client):
    client.force_login(shop.users[("editor", "acme")])
    page = shop.product["acme"]
    page.product_image = solid_image(
        "acme lamp large", shop.orgs["acme"].collection, PRODUCT_COLOUR, (4000, 3000)
    )
    page.save()

    timings = []
    for _ in range(2):
        started = time.perf_counter()
        picture = decoded(preview(client, page, layout="presenter_product", format="landscape"))
        timings.append(time.perf_counter() - started)

    # The first includes Wagtail reading the 12-megapixel upload once; after that only the small copy is read.
    assert timings[0] < 2.0 and timings[1] < 1.0, timings
    assert share_of(picture, PRODUCT_COLOUR) > 0.05
    assert page.product_image.renditions.filter(filter_spec=PICTURE_FILTER).count() == 1


def test_the_preview_is_drawn_from_the_pages_picture_and_the_brand_kit(shop, client):
    client.force_login(shop.users[("admin", "acme")])
    page = shop.product["acme"]

    with_product = decoded(preview(client, page, layout="presenter_product", format="landscape"))
    presenter_only = decoded(preview(client, page, layout="presenter", format="landscape"))

    # The product picture fills a card of its own beside the presenter; the presenter layout has none.
    assert share_of(with_product, PRODUCT_COLOUR) > 0.05
    assert share_of(presenter_only, PRODUCT_COLOUR) == 0.0
    # The brand kit's primary colour is the background of both.
    red = (0xC0, 0x10, 0x30)
    assert share_of(presenter_only, red) > 0.2 and share_of(with_product, red) > 0.05


def test_the_brand_kits_logo_is_drawn_where_the_layout_puts_it(shop, client):
    client.force_login(shop.users[("admin", "acme")])
    page = shop.product["acme"]
    magenta = (230, 20, 200)
    kit = BrandKit.objects.get(organization_id=shop.orgs["acme"].pk)
    kit.logo = solid_image("acme logo", shop.orgs["acme"].collection, magenta, (300, 100))
    kit.save()

    picture = decoded(preview(client, page, layout="presenter", format="landscape"))

    # Every magenta pixel lies in the layout's logo box, and the logo fills a good part of it.
    scale = picture.width / FORMATS["landscape"].width
    box = place("presenter", FORMATS["landscape"]).logo
    inside = picture.crop(
        (
            box.x * scale - 2,
            box.y * scale - 2,
            (box.x + box.width) * scale + 2,
            (box.y + box.height) * scale + 2,
        )
    )
    assert share_of(inside, magenta) > 0.3
    assert share_of(picture, magenta) * picture.width * picture.height == pytest.approx(
        share_of(inside, magenta) * inside.width * inside.height, rel=0.02
    )


def test_the_preview_follows_the_chosen_presenter_photo(shop, client):
    client.force_login(shop.users[("admin", "acme")])
    page = shop.product["acme"]
    blue = (30, 60, 220)
    photo = solid_image("blue presenter", shop.orgs["acme"].collection, blue)

    default = decoded(preview(client, page, layout="presenter", format="square"))
    chosen = decoded(preview(client, page, layout="presenter", format="square", image_id=photo.pk))

    assert share_of(default, blue) == 0.0 and share_of(chosen, blue) > 0.1


def test_burned_in_captions_change_the_preview_only_where_captions_go(shop, client):
    client.force_login(shop.users[("admin", "acme")])
    page = shop.product["acme"]

    plain = decoded(preview(client, page, layout="social", format="vertical", burn_captions="false"))
    captioned = decoded(preview(client, page, layout="social", format="vertical", burn_captions="true"))
    # Left to the layout, social burns its captions in.
    default = decoded(preview(client, page, layout="social", format="vertical"))

    # Where the captioned preview differs from the plain one: inside the layout's caption box, and across a
    # good part of it.
    changed = ImageChops.difference(plain, captioned).convert("L").point(lambda v: 255 if v > 40 else 0)
    scale = plain.height / FORMATS["vertical"].height
    caption = place("social", FORMATS["vertical"]).caption
    left, top, right, bottom = changed.getbbox()
    assert caption.x * scale - 2 <= left and right <= (caption.x + caption.width) * scale + 2
    assert caption.y * scale - 2 <= top and bottom <= (caption.y + caption.height) * scale + 2
    assert right - left > caption.width * scale * 0.3
    assert ImageChops.difference(default, captioned).getbbox() is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"layout": "carousel"},
            "unknown layout 'carousel'; valid layouts: presenter, presenter_product, social",
        ),
        ({"format": "portrait"}, "unknown format 'portrait'; valid formats: landscape, square, vertical"),
        (
            {"format": "square,vertical"},
            "a preview shows one format at a time: one of landscape, square, vertical",
        ),
    ],
)
def test_an_unknown_layout_or_format_is_refused_with_the_valid_ones(shop, client, query, message):
    client.force_login(shop.users[("editor", "acme")])

    response = preview(client, shop.product["acme"], **query)

    assert response.status_code == 400
    assert response.json() == {
        "error": message,
        "valid": {"layouts": ["presenter", "presenter_product", "social"], "formats": list(FORMATS)},
    }


def test_another_organizations_page_or_photo_gets_no_preview(shop, client):
    client.force_login(shop.users[("owner", "bluebird")])
    response = preview(client, shop.product["acme"], layout="presenter", format="square")
    assert response.status_code == 403
    assert response.json() == {
        "error": "only members of the page's organization can preview this page's videos"
    }

    client.force_login(shop.users[("admin", "acme")])
    theirs = solid_image("bluebird presenter", shop.orgs["bluebird"].collection, (9, 9, 9))
    response = preview(client, shop.product["acme"], image_id=theirs.pk)
    assert response.status_code == 400
    assert (
        response.json()["error"] == f"image {theirs.pk} does not exist or is not in a collection you can use"
    )


def test_a_page_without_a_product_picture_is_previewed_as_its_job_falls_back(world, client):
    client.force_login(world.users[("admin", "acme")])
    page = world.product["acme"]  # no product image

    fallback = preview(client, page, layout="presenter_product", format="landscape")
    presenter = preview(client, page, layout="presenter", format="landscape")

    assert unquote(fallback[LAYOUT_NOTE_HEADER]) == (
        "This page has no product picture, so its video uses the 'Presenter' layout instead: give the page a "
        "product image."
    )
    assert LAYOUT_NOTE_HEADER not in presenter
    assert ImageChops.difference(decoded(fallback), decoded(presenter)).getbbox() is None


def test_a_picture_whose_file_is_gone_is_left_out_of_the_preview_not_the_whole_preview(shop, client):
    client.force_login(shop.users[("admin", "acme")])
    page = shop.product["acme"]
    page.product_image.file.storage.delete(page.product_image.file.name)

    picture = decoded(preview(client, page, layout="presenter_product", format="square"))

    assert share_of(picture, PRODUCT_COLOUR) == 0.0 and picture.size == (640, 640)
