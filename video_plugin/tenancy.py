"""What the plugin needs to know about the host's organizations, and the one place it asks.

Wagtail has no notion of a tenant, so the host supplies one: a :class:`Tenancy` subclass named in
``WAGTAIL_VIDEO["TENANCY"]``. The plugin stores only organization ids and asks the tenancy for everything
else, so it never imports the host's models.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from video_plugin.conf import video_settings

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from wagtail.images.models import AbstractImage
    from wagtail.models import Collection, Page


class Role(enum.StrEnum):
    """A member's role in an organization. Owners and admins generate videos; editors only see them."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"


GENERATING_ROLES = frozenset({Role.OWNER, Role.ADMIN})


@dataclass(frozen=True)
class OrganizationInfo:
    """The facts about one organization that video generation needs."""

    id: int
    name: str
    collection: Collection
    default_voice: str
    default_presenter_image: AbstractImage | None
    auto_generate_on_publish: bool
    # How people name the organization on a command line (``generate_videos --org SLUG``).
    slug: str = ""


class Tenancy:
    """The host's answer to "whose page is this, and what may this user do?". Subclass; override all."""

    def organization_for_page(self, page: Page) -> OrganizationInfo | None:
        """The organization that owns ``page``, or ``None`` for a page outside every organization."""
        raise NotImplementedError

    def organization(self, organization_id: int) -> OrganizationInfo | None:
        """The organization with this id, or ``None`` if it no longer exists."""
        raise NotImplementedError

    def role_of(self, user: AbstractBaseUser | AnonymousUser, organization_id: int) -> Role | None:
        """The user's role in the organization, or ``None`` for a non-member."""
        raise NotImplementedError

    def organizations(self) -> list[OrganizationInfo]:
        """Every organization (the admin's token and webhook forms, ``generate_videos --org``)."""
        raise NotImplementedError

    def pages_of(self, organization_id: int) -> Iterable[Page]:
        """The organization's live pages that can have a video (``VideoPageMixin``), for batch generation."""
        raise NotImplementedError


@cache
def get_tenancy() -> Tenancy:
    """The configured tenancy, built once per process."""
    tenancy_class = import_string(video_settings.TENANCY)
    if not issubclass(tenancy_class, Tenancy):
        raise TypeError(
            f'WAGTAIL_VIDEO["TENANCY"] {video_settings.TENANCY!r} is not a video_plugin.tenancy.Tenancy'
        )
    return tenancy_class()


def can_generate(user: Any, organization_id: int) -> bool:
    """Whether ``user`` may request videos for the organization: its owners and admins, and superusers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return get_tenancy().role_of(user, organization_id) in GENERATING_ROLES


def can_view(user: Any, organization_id: int) -> bool:
    """Whether ``user`` may see the organization's video jobs: any member, and superusers."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or get_tenancy().role_of(user, organization_id) is not None


def _forget_tenancy(*, setting: str, **kwargs: Any) -> None:
    if setting == "WAGTAIL_VIDEO":
        get_tenancy.cache_clear()


setting_changed.connect(_forget_tenancy)
