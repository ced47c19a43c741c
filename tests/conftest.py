"""Shared Django fixtures: a temporary storage folder, a stub Dramatiq broker, a small two-organization shop
(``world``, under the shop's tenancy), and a site without organizations (``site_world``, under the plugin's
default tenancy).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.images import ImageFile
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, Site

from gpu_runner.protocol import EVENTS_QUEUE, RENDER_LANES
from gpu_runner.signing_chain import make_demo_chain
from shop.models import ProductPage
from shop.roles import API_ADMIN_PERMISSIONS
from tests.factories import make_presenter
from tests.rabbitmq import RabbitNode, rabbitmq_node
from tests.services import R2Server, r2_server
from video_plugin.models import VideoSiteSettings
from video_plugin.site_tenancy import SITE_ORGANIZATION_ID


@pytest.fixture(scope="session", autouse=True)
def runner_signing_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """Every runner the suite starts, in a process of its own or in this one, signs its videos (C2PA) with
    one demo chain: a runner without a certificate refuses to start."""
    chain, key = make_demo_chain(tmp_path_factory.mktemp("c2pa-chain"))
    names = ("GPU_RUNNER_C2PA_CERT", "GPU_RUNNER_C2PA_KEY", "GPU_RUNNER_C2PA_DISABLED")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.pop("GPU_RUNNER_C2PA_DISABLED", None)
    os.environ.update(GPU_RUNNER_C2PA_CERT=str(chain), GPU_RUNNER_C2PA_KEY=str(key))
    yield chain, key
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def video_storage(settings: Any, tmp_path: Any) -> Any:
    """Every test writes images and media into its own folder, never into demo-data/."""
    folder = tmp_path / "storage"
    folder.mkdir()
    settings.VIDEO_STORAGE_URL = str(folder)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            # The storage storage_backend() gives a folder, with its unguessable upload names.
            "BACKEND": "video_plugin.jobs.upload_names.UnguessableFileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": "/media/"},
        },
    }
    return folder


@pytest.fixture(scope="session")
def r2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[R2Server]:
    """Cloudflare's R2 simulator on loopback, which checks every signature, with a ``videos`` bucket."""
    with r2_server(tmp_path_factory.mktemp("r2"), buckets=["videos"]) as server:
        yield server


@pytest.fixture
def r2_env(r2: R2Server, monkeypatch: pytest.MonkeyPatch) -> R2Server:
    """The R2 server's credentials in the standard variables, the only place both sides read them from."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", r2.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", r2.secret_access_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return r2


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitNode]:
    """A RabbitMQ node of the session's own (tests/rabbitmq.py), started the first time a test asks for it."""
    with rabbitmq_node(tmp_path_factory.mktemp("rabbitmq")) as node:
        yield node


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Test users need no brute-force resistance; the default hasher costs ~0.2 s per user on CI's cores."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def stub_broker() -> Any:
    """Messages go to an in-memory broker, so the tests need no Redis and can read what was sent."""
    previous = dramatiq.get_broker()
    broker = StubBroker()
    broker.emit_after("process_boot")
    for lane in RENDER_LANES:
        broker.declare_queue(lane.queue)
    broker.declare_queue(EVENTS_QUEUE)
    dramatiq.set_broker(broker)
    yield broker
    broker.flush_all()
    dramatiq.set_broker(previous)


@pytest.fixture
def redis_broker(settings: Any) -> Iterator[RedisBroker]:
    """The site's broker is a real RedisBroker on the test's Redis database, so queue depths are Redis's."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    previous = dramatiq.get_broker()
    broker = RedisBroker(url=settings.REDIS_URL)
    dramatiq.set_broker(broker)
    yield broker
    dramatiq.set_broker(previous)
    broker.flush_all()
    broker.close()


@pytest.fixture
def sent_renders(stub_broker: StubBroker) -> Any:
    """A callable returning the ``request`` payloads of every render message on the stub broker, lane by lane
    in the order runners take them."""

    def read() -> list[dict[str, Any]]:
        raws = [raw for lane in RENDER_LANES for raw in stub_broker.queues[lane.queue].queue]
        return [dramatiq.Message.decode(raw).kwargs["request"] for raw in raws]

    return read


def make_image(title: str, collection: Any = None, size: tuple[int, int] = (64, 64)) -> Any:
    """A saved Wagtail image with real PNG bytes."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 120, 40)).save(buffer, format="PNG")
    image_model = get_image_model()
    kwargs = {"collection": collection} if collection is not None else {}
    image = image_model(title=title, **kwargs)
    image.file = ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.png")
    image.save()
    return image


def make_user(username: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(
        username, f"{username}@example.com", "pw-" + username, **extra
    )


class ShopWorld:
    """Two organizations, each with an index page, one product page and one member per role."""

    def __init__(self) -> None:
        from shop.models import Membership, Organization, ProductIndexPage, ProductPage

        root = Site.objects.get(is_default_site=True).root_page
        self.orgs: dict[str, Any] = {}
        self.index: dict[str, Any] = {}
        self.product: dict[str, Any] = {}
        self.users: dict[tuple[str, str], Any] = {}
        for slug, auto in (("acme", True), ("bluebird", False)):
            org = Organization.objects.create(name=slug.title(), slug=slug, auto_generate_on_publish=False)
            org.default_presenter_image = make_image(f"{slug} presenter", org.collection)
            org.save()
            make_presenter(org.default_presenter_image, org.pk)
            index = root.add_child(instance=ProductIndexPage(title=slug.title(), slug=slug, organization=org))
            product = index.add_child(
                instance=ProductPage(
                    title=f"{slug.title()} Lamp", description="<p>A warm light.</p>", price=Decimal("24.00")
                )
            )
            org.auto_generate_on_publish = auto
            # Most tests follow a job to the live page whatever asked for it; the default, where an editor's
            # video waits for the page's next publish, is tests/video_plugin/test_going_live.py's.
            org.editor_videos_live_at_once = True
            org.save()
            self.orgs[slug], self.index[slug], self.product[slug] = org, index, product
            for role in ("owner", "admin", "editor"):
                user = make_user(f"{role}-{slug}")
                Membership.objects.create(user=user, organization=org, role=role)
                self.users[(role, slug)] = user
        self.superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
        self.outsider = make_user("outsider")


def permissions(app_label: str, *codenames: str) -> list[Permission]:
    found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    assert len(found) == len(codenames), f"missing permissions among {codenames}"
    return found


class SiteWorld:
    """A Wagtail site with no organizations, under the plugin's default tenancy.

    Two sections of product pages, kitchen and garden, each with an editors' group (page add and change on the
    section, image add and choose in the section's collection), a presenter photo in that collection, and the
    site's default presenter in its Presenter videos setting. A "Video producers" group holds
    ``video_plugin.generate_video`` and the Video API screens' permissions. The people:

    - ``producer``: a kitchen editor and a video producer, so may generate for kitchen pages;
    - ``second_producer``: a kitchen editor holding the same permissions directly rather than by group;
    - ``page_editor``: a kitchen editor only (sees the kitchen's videos, generates none);
    - ``garden_producer``: a garden editor and a video producer (generates for garden pages only);
    - ``producer_without_pages``: a video producer who may edit no page;
    - ``superuser``.
    """

    def __init__(self) -> None:
        site = Site.objects.get(is_default_site=True)
        root_collection = Collection.get_first_root_node()
        admin_access = permissions("wagtailadmin", "access_admin")
        page_rights = permissions("wagtailcore", "add_page", "change_page")
        image_rights = permissions("wagtailimages", "add_image", "choose_image")
        # Besides generate_video, what opens Settings → Video API (what the shop gives owners and admins).
        producer_rights = permissions("video_plugin", "generate_video", *API_ADMIN_PERMISSIONS)
        producers = Group.objects.create(name="Video producers")
        producers.permissions.add(*admin_access, *producer_rights)

        self.section: dict[str, Any] = {}
        self.product: dict[str, Any] = {}
        self.presenter: dict[str, Any] = {}
        self.editors: dict[str, Group] = {}
        for slug in ("kitchen", "garden"):
            section = site.root_page.add_child(instance=Page(title=slug.title(), slug=slug))
            product = section.add_child(
                instance=ProductPage(
                    title=f"{slug.title()} Lamp", description="<p>A warm light.</p>", price=Decimal("24.00")
                )
            )
            collection = root_collection.add_child(instance=Collection(name=f"{slug.title()} images"))
            editors = Group.objects.create(name=f"{slug.title()} editors")
            editors.permissions.add(*admin_access)
            for permission in page_rights:
                GroupPagePermission.objects.create(group=editors, page=section, permission=permission)
            for permission in image_rights:
                GroupCollectionPermission.objects.create(
                    group=editors, collection=collection, permission=permission
                )
            self.section[slug], self.product[slug], self.editors[slug] = section, product, editors
            self.presenter[slug] = make_image(f"{slug} presenter", collection)
            make_presenter(self.presenter[slug], SITE_ORGANIZATION_ID)

        site_settings = VideoSiteSettings.for_site(site)
        site_settings.default_presenter_image = self.presenter["kitchen"]
        site_settings.editor_videos_live_at_once = True  # as for ShopWorld's organizations
        site_settings.save()

        self.users: dict[str, Any] = {}
        for name, groups in (
            ("producer", [self.editors["kitchen"], producers]),
            ("second_producer", [self.editors["kitchen"]]),
            ("page_editor", [self.editors["kitchen"]]),
            ("garden_producer", [self.editors["garden"], producers]),
            ("producer_without_pages", [producers]),
        ):
            user = make_user(name)
            user.groups.add(*groups)
            self.users[name] = user
        self.users["second_producer"].user_permissions.add(*producer_rights)
        self.superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")


def use_default_tenancy(settings: Any) -> None:
    """``WAGTAIL_VIDEO`` without ``TENANCY``, as a site without organizations configures it."""
    settings.WAGTAIL_VIDEO = {key: value for key, value in settings.WAGTAIL_VIDEO.items() if key != "TENANCY"}


@pytest.fixture
def image_factory(db: Any) -> Any:
    """:func:`make_image` for tests that need an image of their own."""
    return make_image


@pytest.fixture
def world(db: Any) -> ShopWorld:
    return ShopWorld()


@pytest.fixture
def site_world(db: Any, settings: Any) -> SiteWorld:
    """A site without organizations, with the plugin's default tenancy configured."""
    use_default_tenancy(settings)
    return SiteWorld()
