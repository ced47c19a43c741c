"""Shared Django fixtures: a temporary storage folder, a stub Dramatiq broker, and a small two-organization
shop.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import dramatiq
import pytest
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from dramatiq.brokers.stub import StubBroker
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Site

from gpu_runner.protocol import EVENTS_QUEUE, RENDER_LANES


@pytest.fixture(autouse=True)
def video_storage(settings: Any, tmp_path: Any) -> Any:
    """Every test writes images and media into its own folder, never into demo-data/."""
    folder = tmp_path / "storage"
    folder.mkdir()
    settings.VIDEO_STORAGE_URL = str(folder)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": "/media/"},
        },
    }
    return folder


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
            index = root.add_child(instance=ProductIndexPage(title=slug.title(), slug=slug, organization=org))
            product = index.add_child(
                instance=ProductPage(
                    title=f"{slug.title()} Lamp", description="<p>A warm light.</p>", price=Decimal("24.00")
                )
            )
            org.auto_generate_on_publish = auto
            org.save()
            self.orgs[slug], self.index[slug], self.product[slug] = org, index, product
            for role in ("owner", "admin", "editor"):
                user = make_user(f"{role}-{slug}")
                Membership.objects.create(user=user, organization=org, role=role)
                self.users[(role, slug)] = user
        self.superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
        self.outsider = make_user("outsider")


@pytest.fixture
def image_factory(db: Any) -> Any:
    """:func:`make_image` for tests that need an image of their own."""
    return make_image


@pytest.fixture
def world(db: Any) -> ShopWorld:
    return ShopWorld()
