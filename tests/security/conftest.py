"""Fixtures for the security tests: the people every claim is tried against, under both tenancies, and
finished videos.

``tenant`` runs a test twice: under the shop's tenancy (``tests.conftest.ShopWorld``: organizations acme and
bluebird, with roles) and under the plugin's default (``tests.conftest.SiteWorld``: one site whose Wagtail
groups and page permissions decide). Each casts its own people in the same parts, around ``tenant.page``:

====================  ============================  ======================================================
part                  shop                          default tenancy
====================  ============================  ======================================================
``generator``         acme's owner                  a kitchen editor in the "Video producers" group
``second_generator``  acme's admin                  a kitchen editor holding the permission directly
``viewer``            acme's editor                 a kitchen editor without ``generate_video``
``outsider``          bluebird's owner              a garden editor in the "Video producers" group
``second_outsider``   bluebird's admin              a video producer who may edit no page
``anonymous``         nobody logged in              nobody logged in
====================  ============================  ======================================================

The outsiders may generate elsewhere (``tenant.other_page``), so a refusal is the tenancy's boundary, not a
missing right. The shop-only claims (collections per organization, their tags) use ``world`` and
:func:`client_as` with the shop's role names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from gpu_runner.protocol import captions_key
from tests.conftest import ShopWorld, SiteWorld, use_default_tenancy
from tests.factories import still_render_result
from video_plugin.jobs.attach import attach_video
from video_plugin.jobs.requests import request_video
from video_plugin.models import VideoJob
from video_plugin.site_tenancy import SITE_ORGANIZATION_ID

OUTSIDERS = ("other_org_owner", "other_org_admin", "anonymous")
# Who tries what an owner or admin of acme may do.
NOT_ALLOWED_TO_CHANGE = (*OUTSIDERS, "editor")

# The parts of ``tenant``: who may generate for its page, and who may not.
GENERATORS = ("generator", "second_generator")
TENANT_OUTSIDERS = ("outsider", "second_outsider", "anonymous")
MAY_NOT_GENERATE = (*TENANT_OUTSIDERS, "viewer")


def actor_user(world: Any, actor: str) -> Any:
    """The user behind an actor name (``None`` for ``anonymous``)."""
    return {
        "owner": world.users[("owner", "acme")],
        "admin": world.users[("admin", "acme")],
        "editor": world.users[("editor", "acme")],
        "other_org_owner": world.users[("owner", "bluebird")],
        "other_org_admin": world.users[("admin", "bluebird")],
        "anonymous": None,
    }[actor]


def logged_in(user: Any, enforce_csrf: bool = False) -> Client:
    """A test client logged in as ``user`` (nobody for ``None``); ``enforce_csrf`` makes it send no CSRF
    token, as an attacker's page would."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    if user is not None:
        client.force_login(user)
    return client


def client_as(world: Any, actor: str, enforce_csrf: bool = False) -> Client:
    """A test client logged in as one of the shop's actors."""
    return logged_in(actor_user(world, actor), enforce_csrf)


@dataclass
class Tenant:
    """One tenancy's cast for the security claims."""

    name: str  # "shop" or "site", the test id
    world: Any
    page: Any  # the page whose videos are at stake
    section: Any  # the page's parent, where its organization's or section's pages live
    other_page: Any  # a page the outsiders may generate for
    organization_id: int  # the page's organization
    foreign_organization_id: int  # an organization that is not the page's
    presenter: Any  # an image the page's generators may choose
    foreign_image: Any  # an image they may not
    people: dict[str, Any]
    superuser: Any

    def user(self, part: str) -> Any:
        return None if part == "anonymous" else self.people[part]

    def client(self, part: str, enforce_csrf: bool = False) -> Client:
        return logged_in(self.user(part), enforce_csrf)


def shop_tenant(world: ShopWorld) -> Tenant:
    users = world.users
    return Tenant(
        name="shop",
        world=world,
        page=world.product["acme"],
        section=world.index["acme"],
        other_page=world.product["bluebird"],
        organization_id=world.orgs["acme"].pk,
        foreign_organization_id=world.orgs["bluebird"].pk,
        presenter=world.orgs["acme"].default_presenter_image,
        foreign_image=world.orgs["bluebird"].default_presenter_image,
        people={
            "generator": users[("owner", "acme")],
            "second_generator": users[("admin", "acme")],
            "viewer": users[("editor", "acme")],
            "outsider": users[("owner", "bluebird")],
            "second_outsider": users[("admin", "bluebird")],
        },
        superuser=world.superuser,
    )


def site_tenant(world: SiteWorld) -> Tenant:
    users = world.users
    return Tenant(
        name="site",
        world=world,
        page=world.product["kitchen"],
        section=world.section["kitchen"],
        other_page=world.product["garden"],
        organization_id=SITE_ORGANIZATION_ID,
        # The site is one organization; a token or webhook of any other id (say, one left from a custom
        # tenancy used before) belongs to nobody here.
        foreign_organization_id=SITE_ORGANIZATION_ID + 1,
        presenter=world.presenter["kitchen"],
        foreign_image=world.presenter["garden"],
        people={
            "generator": users["producer"],
            "second_generator": users["second_producer"],
            "viewer": users["page_editor"],
            "outsider": users["garden_producer"],
            "second_outsider": users["producer_without_pages"],
        },
        superuser=world.superuser,
    )


@pytest.fixture(params=["shop", "site"])
def tenant(request: pytest.FixtureRequest, db: Any, settings: Any) -> Tenant:
    """The claim's page and people, under the shop's tenancy and under the plugin's default."""
    if request.param == "shop":
        return shop_tenant(ShopWorld())
    use_default_tenancy(settings)
    return site_tenant(SiteWorld())


def finish(job: VideoJob) -> VideoJob:
    """Mark a queued job succeeded and attach its video, as the events worker does for a runner's report."""
    result = still_render_result(job.output_key, captions_key=captions_key(job.output_key))
    VideoJob.objects.filter(pk=job.pk).update(status=VideoJob.Status.SUCCEEDED)
    job.refresh_from_db()
    attach_video(job, result)
    job.refresh_from_db()
    return job


def finished_video(page: Any) -> VideoJob:
    """A succeeded job with its Media, current for ``page`` (made by a publish, so live when ready)."""
    return finish(request_video(page, None, VideoJob.Trigger.PUBLISH))


@pytest.fixture
def acme_video(world: Any) -> VideoJob:
    return finished_video(world.product["acme"])


@pytest.fixture
def tenant_video(tenant: Tenant) -> VideoJob:
    """A finished, current video of ``tenant.page``."""
    return finished_video(tenant.page)
