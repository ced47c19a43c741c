"""What the plugin needs to know about the host's organizations, and the one place it asks.

Wagtail has no notion of a tenant. A site without organizations needs nothing here: the default,
:class:`video_plugin.site_tenancy.SiteTenancy`, treats the whole install as one organization and decides with
Wagtail's own groups and page permissions. A host with organizations of its own (the example shop) names a
:class:`Tenancy` subclass in ``WAGTAIL_VIDEO["TENANCY"]``. The plugin stores only organization ids and asks
the tenancy for everything else, so it never imports the host's models.

Every permission question goes through :func:`can_generate`, :func:`can_view` and
:func:`can_generate_for_organization`, which settle the cases common to every tenancy (nobody signed in, an
inactive account, a superuser) before asking the tenancy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.signals import setting_changed
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtailmedia import get_media_model

from video_plugin.conf import video_settings

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from wagtail.images.models import AbstractImage
    from wagtail.models import Collection, Page


@dataclass(frozen=True)
class OrganizationInfo:
    """The facts about one organization that video generation needs."""

    id: int
    name: str
    # Where the organization's finished videos are filed as wagtailmedia items.
    collection: Collection
    default_voice: str
    default_presenter_image: AbstractImage | None
    auto_generate_on_publish: bool
    # Whether a video generated in the page editor goes live when ready; if not (the default), it waits for
    # the page's next publish, like the rest of the page's changes.
    editor_videos_live_at_once: bool = False
    # How people name the organization on a command line (``generate_videos --org SLUG``).
    slug: str = ""


class Tenancy:
    """The host's answer to "whose page is this, and what may this user do?". Subclass; override every method
    that raises ``NotImplementedError``.

    The permission methods are asked only about an active, signed-in user who is not a superuser: the
    module's :func:`can_generate` and :func:`can_view` have already refused everyone else, and allowed
    superusers everything.
    """

    # How the editor panel and the 403 answers name the people allowed, e.g. "only owners and admins of the
    # page's organization can generate videos".
    # A subclass may set them to gettext_lazy strings, so each editor reads them in their own language.
    who_may_generate: str = _("people allowed by the site's tenancy")
    who_may_view: str = _("people allowed by the site's tenancy")
    # Who records presenters and their consent, named where a presenter cannot be used ("ask ... to ...").
    who_may_manage_presenters: str = _("people allowed by the site's tenancy to manage presenters")

    def organization_for_page(self, page: Page) -> OrganizationInfo | None:
        """The organization that owns ``page``, or ``None`` for a page outside every organization."""
        raise NotImplementedError

    def organization(self, organization_id: int) -> OrganizationInfo | None:
        """The organization with this id, or ``None`` if it no longer exists."""
        raise NotImplementedError

    def organizations(self) -> list[OrganizationInfo]:
        """Every organization (the admin's token and webhook forms, ``generate_videos --org``)."""
        raise NotImplementedError

    def pages_of(self, organization_id: int) -> Iterable[Page]:
        """The organization's live pages that can have a video (``VideoPageMixin``), for batch generation."""
        raise NotImplementedError

    def can_generate(self, user: AbstractBaseUser, page: Page) -> bool:
        """Whether ``user`` may generate, cancel and switch the videos of ``page``."""
        raise NotImplementedError

    def can_view(self, user: AbstractBaseUser, page: Page) -> bool:
        """Whether ``user`` may see the video jobs of ``page`` (the panel's status, script and face check)."""
        raise NotImplementedError

    def can_generate_for_organization(self, user: AbstractBaseUser, organization_id: int) -> bool:
        """Whether ``user`` may generate for the organization as a whole, where no page is at hand: the
        admin's API tokens (which create jobs for any of its pages), webhooks and delivery log."""
        raise NotImplementedError

    def can_view_organization(self, user: AbstractBaseUser, organization_id: int) -> bool:
        """Whether ``user`` may see the organization's presenters and their consent status (editors choose
        among them). By default, whoever may generate for the organization as a whole."""
        return self.can_generate_for_organization(user, organization_id)

    def images_of(self, organization: OrganizationInfo) -> QuerySet[AbstractImage]:
        """The images the organization's API tokens may name as a job's presenter: by default those in its
        collection and the collections below it."""
        collections = organization.collection.get_descendants(inclusive=True)
        return get_image_model().objects.filter(collection__in=collections)

    def documents_of(self, organization: OrganizationInfo) -> QuerySet[Any]:
        """The documents that may be evidence of the organization's presenters' consent: by default those in
        its collection and the collections below it, where its managers upload them."""
        collections = organization.collection.get_descendants(inclusive=True)
        return get_document_model().objects.filter(collection__in=collections)

    def media_of(self, organization: OrganizationInfo) -> QuerySet[Any]:
        """The wagtailmedia items the organization's brand kit may use as its music: by default those in its
        collection and the collections below it."""
        collections = organization.collection.get_descendants(inclusive=True)
        return get_media_model().objects.filter(collection__in=collections)


@cache
def get_tenancy() -> Tenancy:
    """The configured tenancy, built once per process."""
    tenancy_class = import_string(video_settings.TENANCY)
    if not (isinstance(tenancy_class, type) and issubclass(tenancy_class, Tenancy)):
        # manage.py check says this first (video_plugin.E004); this is the guard for a host that skipped it.
        raise TypeError(
            f'WAGTAIL_VIDEO["TENANCY"] {video_settings.TENANCY!r} is not a video_plugin.tenancy.Tenancy'
        )
    return tenancy_class()


def is_signed_in(user: Any) -> bool:
    """A real, active account: anonymous visitors and deactivated users may do nothing."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_generate(user: Any, page: Page) -> bool:
    """Whether ``user`` may generate, cancel and switch videos of ``page``: superusers, and whom the tenancy
    allows."""
    if not is_signed_in(user):
        return False
    return user.is_superuser or get_tenancy().can_generate(user, page)


def can_view(user: Any, page: Page) -> bool:
    """Whether ``user`` may see the video jobs of ``page``: superusers, and whom the tenancy allows."""
    if not is_signed_in(user):
        return False
    return user.is_superuser or get_tenancy().can_view(user, page)


def can_generate_for_organization(user: Any, organization_id: int) -> bool:
    """Whether ``user`` may manage the organization's API tokens and webhooks: superusers, and whom the
    tenancy allows to generate for the whole organization."""
    if not is_signed_in(user):
        return False
    return user.is_superuser or get_tenancy().can_generate_for_organization(user, organization_id)


def can_view_organization(user: Any, organization_id: int) -> bool:
    """Whether ``user`` may see the organization's presenters: superusers, and whom the tenancy allows."""
    if not is_signed_in(user):
        return False
    return user.is_superuser or get_tenancy().can_view_organization(user, organization_id)


def _forget_tenancy(*, setting: str, **kwargs: Any) -> None:
    if setting == "WAGTAIL_VIDEO":
        get_tenancy.cache_clear()


setting_changed.connect(_forget_tenancy)
