"""Storage keys are never built from user text, claim 3 of issue 7 part 4.

- Pages with hostile titles and slugs (``../../etc``, ``%2e%2e``, unicode, very long) still get output keys
  matching ``protocol.VIDEO_KEY_RE``, under their own organization's prefix.
- An image uploaded with a hostile file name stays inside the storage folder, and the job's ``image_key`` is
  the organization's copy of it (``{org}/presenters/{sha256}.png``), which passes the runner's checks.
- The runner refuses an ``output_key`` or ``image_key`` that escapes: ``..``, an absolute path, another
  organization's prefix or none (an upload's own ``original_images/…``), control characters
  (``RenderRequest.validate``).

Every key is made by the server: the editor, an outsider and an anonymous visitor have no say in it, so the
actors of the other files reduce here to the hostile input itself.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from gpu_runner.protocol import ASSET_KEY_RE, PRESENTER_KEY_RE, VIDEO_KEY_RE, ProtocolError, RenderRequest
from shop.models import ProductPage
from tests.conftest import make_image
from tests.factories import make_presenter
from video_plugin.jobs.requests import request_video
from video_plugin.models import BrandKit, VideoJob

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = [
    "../../etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc",
    "..\\..\\windows",
    "/absolute/path",
    "ünïcødé ☃ 漢字 \u202e",
    "x" * 255,
]


@pytest.mark.parametrize("hostile", HOSTILE_TEXT)
def test_hostile_titles_and_slugs_give_keys_of_the_fixed_shape(world, sent_renders, hostile):
    organization = world.orgs["acme"]
    page = world.index["acme"].add_child(
        instance=ProductPage(
            title=hostile, slug=f"p-{len(hostile)}", price=Decimal("1"), video_script=hostile
        )
    )
    job = request_video(page, None, VideoJob.Trigger.EDITOR)
    assert job.status == VideoJob.Status.QUEUED, job.error_message
    match = VIDEO_KEY_RE.match(job.output_key)
    assert match and int(match["org"]) == organization.pk and int(match["page"]) == page.pk


@pytest.mark.parametrize(
    "file_name",
    [
        "../../../../etc/passwd.png",
        "..%2f..%2fsecret.png",
        "/etc/shadow.png",
        "ünï çødé ☃.png",
        "a" * 300 + ".png",
    ],
)
def test_hostile_image_file_names_stay_inside_storage_and_pass_the_runner(world, video_storage, file_name):
    image = make_image("presenter", world.orgs["acme"].collection)
    image.file.save(file_name, image.file.file, save=True)  # the name an upload form would pass on
    key = image.file.name
    assert not key.startswith("/") and ".." not in key.split("/")
    assert (video_storage / key).resolve().is_relative_to(video_storage.resolve())
    assert Path(video_storage / key).is_file()
    make_presenter(image, world.orgs["acme"].pk)
    job = request_video(world.product["acme"], None, VideoJob.Trigger.EDITOR, image=image)
    # The runner gets the organization's copy, named by its bytes, never the upload's name.
    assert PRESENTER_KEY_RE.match(job.image_key)["org"] == str(world.orgs["acme"].pk)
    assert (video_storage / job.image_key).read_bytes() == (video_storage / key).read_bytes()
    request = request_for(job)
    assert RenderRequest.from_dict(request.to_dict()) == request  # the runner accepts it as it is


@pytest.mark.parametrize("file_name", ["../../../../etc/passwd.png", "/etc/shadow.png", "ünï çødé ☃.png"])
def test_product_pictures_and_logos_with_hostile_names_are_filed_under_the_organization(
    world, video_storage, sent_renders, django_capture_on_commit_callbacks, file_name
):
    acme = world.orgs["acme"]
    picture, logo = (
        make_image("lamp", acme.collection, (50, 40)),
        make_image("logo", acme.collection, (40, 50)),
    )
    for image in (picture, logo):
        image.file.save(file_name, image.file.file, save=True)
    page = world.product["acme"]
    page.product_image = picture
    page.save()
    BrandKit.objects.create(organization_id=acme.pk, logo=logo)
    with django_capture_on_commit_callbacks(execute=True):
        request_video(page, None, VideoJob.Trigger.EDITOR, layout="presenter_product")
    (sent,) = sent_renders()
    request = RenderRequest.from_dict(sent)  # the runner accepts every key
    keys = {
        "products": request.composition.product_image_keys[0],
        "brand": request.composition.brand.logo_key,
    }
    for kind, key in keys.items():
        match = ASSET_KEY_RE.match(key)
        assert (match["org"], match["kind"], match["ext"]) == (str(acme.pk), kind, "png")
        assert (video_storage / key).resolve().is_relative_to(video_storage.resolve())
    assert (video_storage / keys["products"]).read_bytes() == (video_storage / picture.file.name).read_bytes()


def request_for(job: VideoJob) -> RenderRequest:
    return RenderRequest(
        job_id=job.job_id,
        organization_id=job.organization_id,
        page_id=job.page_id,
        image_key=job.image_key,
        script=job.script,
        voice=job.voice,
        renderer=job.renderer,
        output_key=job.output_key,
    )


GOOD = RenderRequest(
    job_id="job1",
    organization_id=7,
    page_id=3,
    image_key=f"7/presenters/{'0' * 64}.png",
    script="Hello.",
    voice="espeak:en-us",
    renderer="still",
    output_key="7/videos/ai-generated/3-0123456789abcdef.mp4",
)


@pytest.mark.parametrize(
    "changes",
    [
        {"output_key": "8/videos/ai-generated/3-0123456789abcdef.mp4"},  # another organization's prefix
        {"output_key": "7/videos/ai-generated/../../8/x.mp4"},
        {"output_key": "/7/videos/ai-generated/3-0123456789abcdef.mp4"},
        {"output_key": "7/videos/ai-generated/3-../../etc.mp4"},
        {"image_key": "original_images/lamp.png"},  # an upload's own key: no organization vouched for it
        {"image_key": f"8/presenters/{'0' * 64}.png"},  # another organization's presenter
        {"image_key": "../secrets/key.png"},
        {"image_key": "original_images/../../etc/passwd"},
        {"image_key": "/etc/passwd"},
        {"image_key": "8/videos/ai-generated/3-0123456789abcdef.jpg"},  # another organization's poster
        {"image_key": "original_images/a\x00.png"},
        {"image_key": "original_images\\..\\..\\x.png"},
        {"image_key": "./original_images/lamp.png"},
        {"image_key": "x" * 1025},
    ],
)
def test_the_runner_refuses_keys_that_escape(changes):
    with pytest.raises(ProtocolError):
        RenderRequest.from_dict(dataclasses.replace(GOOD, **changes).to_dict())


@pytest.mark.parametrize(
    "image_key", [GOOD.image_key, "7/videos/ai-generated/3-0123456789abcdef.jpg"], ids=["presenter", "poster"]
)
def test_the_runner_accepts_its_own_organizations_keys(image_key):
    """The control for the refusals above: its own presenter, or the poster of one of its videos, taken as
    they are."""
    request = dataclasses.replace(GOOD, image_key=image_key)
    assert RenderRequest.from_dict(request.to_dict()) == request
