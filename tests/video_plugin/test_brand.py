"""The brand kit: its version follows everything that changes the picture or the sound, and Settings → Brand
kits lets owners and admins edit their own organization's kit only."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtailmedia.models import get_media_model

from tests.conftest import make_image
from video_plugin.jobs.composition import brand_kit_for
from video_plugin.models import BrandKit

pytestmark = pytest.mark.django_db
BASE = "/admin/video-brand-kits"


def replace_file(image, colour: tuple[int, int, int]) -> None:
    """Upload another picture into the same image, as the image's edit screen does."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    image.file = ImageFile(buffer, name="replacement.png")
    image.save()


def kit_form(**fields) -> dict:
    """The brand kit form's POST data: the defaults, with ``fields`` changed."""
    data = {
        "primary_colour": "#1f3a5f",
        "secondary_colour": "#f4f1ea",
        "font": "noto-sans",
        "intro_seconds": "2.0",
        "outro_seconds": "2.0",
        "default_layout": "presenter",
    }
    data.update(fields)
    return data


def test_without_a_kit_an_organization_gets_the_default_look(world):
    kit = brand_kit_for(world.orgs["acme"].pk)
    assert kit.pk is None
    assert (kit.primary_colour, kit.secondary_colour, kit.font) == ("#1f3a5f", "#f4f1ea", "noto-sans")
    assert (kit.logo_id, kit.music_id, kit.intro_enabled, kit.outro_enabled) == (None, None, False, False)
    assert kit.version == BrandKit(organization_id=world.orgs["bluebird"].pk).version


def test_the_version_follows_the_picture_and_the_sound_not_the_defaults(world):
    acme = world.orgs["acme"]
    kit = BrandKit.objects.create(organization_id=acme.pk)
    versions = [kit.version]

    kit.primary_colour = "#000000"
    versions.append(kit.version)
    logo = make_image("acme logo", acme.collection)
    kit.logo = logo
    versions.append(kit.version)
    replace_file(logo, (0, 0, 255))  # the same image, another picture
    kit.logo = type(logo).objects.get(pk=logo.pk)
    versions.append(kit.version)
    kit.intro_enabled = True
    versions.append(kit.version)
    assert len(set(versions)) == len(versions) and all(len(v) == 64 for v in versions)

    # What decides a job's choices rather than the look: the job hashes those itself.
    kit.default_layout, kit.default_formats, kit.default_burn_captions = "social", ["vertical"], True
    # A card's length only matters when the card is shown.
    kit.outro_seconds = 7.0
    assert kit.version == versions[-1]


def test_an_owner_lists_and_edits_only_their_organizations_kit(client, world):
    acme = BrandKit.objects.create(organization_id=world.orgs["acme"].pk, primary_colour="#123456")
    bluebird = BrandKit.objects.create(organization_id=world.orgs["bluebird"].pk, primary_colour="#654321")
    client.force_login(world.users[("owner", "acme")])

    listing = client.get(f"{BASE}/")
    assert listing.status_code == 200
    assert "#123456" in listing.content.decode() and "#654321" not in listing.content.decode()

    assert client.get(f"{BASE}/edit/{acme.pk}/").status_code == 200
    saved = client.post(f"{BASE}/edit/{acme.pk}/", kit_form(primary_colour="#ABCDEF", font="noto-serif"))
    assert saved.status_code == 302
    acme.refresh_from_db()
    assert (acme.primary_colour, acme.font) == ("#ABCDEF", "noto-serif")

    # Wagtail's admin answers a refused view by sending the user to the dashboard, as for any screen they may
    # not open; nothing of the other kit is shown, changed or deleted.
    for response in (
        client.get(f"{BASE}/edit/{bluebird.pk}/"),
        client.post(f"{BASE}/edit/{bluebird.pk}/", kit_form(primary_colour="#000000")),
        client.post(f"{BASE}/delete/{bluebird.pk}/"),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    bluebird.refresh_from_db()
    assert bluebird.primary_colour == "#654321"


def test_an_editor_cannot_open_or_change_the_kit(client, world):
    kit = BrandKit.objects.create(organization_id=world.orgs["acme"].pk, primary_colour="#123456")
    editor = world.users[("editor", "acme")]
    assert not editor.has_perm("video_plugin.change_brandkit")
    client.force_login(editor)
    for response in (
        client.get(f"{BASE}/"),
        client.get(f"{BASE}/edit/{kit.pk}/"),
        client.post(f"{BASE}/edit/{kit.pk}/", kit_form(primary_colour="#000000")),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    kit.refresh_from_db()
    assert kit.primary_colour == "#123456"


def test_an_admin_creates_the_kit_for_their_organization_only(client, world):
    acme, bluebird = world.orgs["acme"], world.orgs["bluebird"]
    client.force_login(world.users[("admin", "acme")])
    form = client.get(f"{BASE}/new/").content.decode()
    assert f'<option value="{acme.pk}"' in form and f'<option value="{bluebird.pk}"' not in form

    refused = client.post(f"{BASE}/new/", kit_form(organization_id=bluebird.pk))
    assert refused.status_code == 200 and not BrandKit.objects.exists()

    created = client.post(
        f"{BASE}/new/",
        kit_form(
            organization_id=acme.pk,
            default_layout="presenter_product",
            default_formats=["square", "landscape"],
            intro_enabled="on",
            intro_seconds="1.5",
        ),
    )
    assert created.status_code == 302
    kit = BrandKit.objects.get()
    assert (kit.organization_id, kit.default_layout, kit.default_formats) == (
        acme.pk,
        "presenter_product",
        ["landscape", "square"],
    )
    assert (kit.intro_enabled, kit.intro_seconds) == (True, 1.5)
    # One kit per organization: acme has one now, so the form offers nothing to an admin of acme alone.
    assert f'<option value="{acme.pk}"' not in client.get(f"{BASE}/new/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_colour", "#12345", "colour &#x27;#12345&#x27; is not a colour: write it as #rrggbb"),
        ("intro_seconds", "12", "Ensure this value is less than or equal to 10.0."),
        ("default_formats", ["4k"], "Select a valid choice. 4k is not one of the available choices."),
    ],
)
def test_the_form_refuses_bad_values_saying_what_is_valid(client, world, field, value, message):
    kit = BrandKit.objects.create(organization_id=world.orgs["acme"].pk)
    client.force_login(world.users[("owner", "acme")])
    response = client.post(f"{BASE}/edit/{kit.pk}/", kit_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_logo_of_another_organization_is_refused(client, world):
    acme, bluebird = world.orgs["acme"], world.orgs["bluebird"]
    # The owner of acme who also edits bluebird's images could reach bluebird's logo in the chooser.
    foreign = make_image("bluebird logo", bluebird.collection)
    kit = BrandKit.objects.create(organization_id=acme.pk)
    client.force_login(world.superuser)
    response = client.post(f"{BASE}/edit/{kit.pk}/", kit_form(logo=foreign.pk))
    assert response.status_code == 200
    assert (
        "&#x27;bluebird logo&#x27; is not one of &#x27;Acme&#x27;&#x27;s images" in response.content.decode()
    )
    kit.refresh_from_db()
    assert kit.logo_id is None

    own = make_image("acme logo", acme.collection)
    assert client.post(f"{BASE}/edit/{kit.pk}/", kit_form(logo=own.pk)).status_code == 302
    kit.refresh_from_db()
    assert kit.logo_id == own.pk


def test_the_logo_chooser_shows_only_the_organizations_images(client, world):
    make_image("bluebird logo", world.orgs["bluebird"].collection)
    make_image("acme logo", world.orgs["acme"].collection)
    client.force_login(world.users[("owner", "acme")])
    chooser = client.get("/admin/images/chooser/")
    assert chooser.status_code == 200
    html = chooser.json()["html"]
    assert "acme logo" in html and "bluebird logo" not in html


def test_the_music_chooser_shows_only_the_organizations_audio(client, world):
    for slug in ("acme", "bluebird"):
        get_media_model().objects.create(
            title=f"{slug} jingle",
            type="audio",
            collection=world.orgs[slug].collection,
            file=ContentFile(bytes(16), name=f"{slug}.mp3"),
        )
    client.force_login(world.users[("owner", "acme")])
    chooser = client.get(reverse("wagtailmedia:chooser_typed", args=("audio",)))
    assert chooser.status_code == 200
    html = chooser.json()["html"]
    assert "acme jingle" in html and "bluebird jingle" not in html
