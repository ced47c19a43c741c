"""The default tenancy, for a site without organizations: Wagtail's own groups, page permissions, collections
and site settings answer every question.

- **One organization, the whole install**, with the fixed id :data:`SITE_ORGANIZATION_ID`: storage keys
  read ``1/videos/ai-generated/…``, and API tokens and webhooks belong to it. A fixed id, not a row's, so
  that deleting and recreating anything (the collection, a site) orphans no job, token or stored video.
- **Videos are filed in one collection** under the root, named by ``WAGTAIL_VIDEO["COLLECTION"]`` and created
  the first time it is needed.
- **Presenter, voice and auto-generation** come from the page's site's :class:`VideoSiteSettings` (Settings →
  Presenter videos).
- **Who may do what:** whoever may edit a page sees its videos; whoever may edit it *and* holds the
  ``video_plugin.generate_video`` permission (a Wagtail group permission) generates, cancels and switches
  them, and manages the API tokens and webhooks, which act for the whole site. Superusers do everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site, get_page_models

from video_plugin.conf import video_settings
from video_plugin.mixins import VideoPageMixin
from video_plugin.models import GENERATE_PERMISSION, VideoSiteSettings
from video_plugin.tenancy import OrganizationInfo, Tenancy

if TYPE_CHECKING:
    from wagtail.images.models import AbstractImage

SITE_ORGANIZATION_ID = 1
# What ``generate_videos --org`` calls the one organization.
SITE_ORGANIZATION_SLUG = "site"


def video_collection() -> Collection:
    """The collection videos are filed in: the root's child named ``WAGTAIL_VIDEO["COLLECTION"]``, created the
    first time it is asked for."""
    name = video_settings.COLLECTION
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=name).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # Two first requests at once must make one collection: the second waits on the root's row, then finds
        # the first one's.
        root = Collection.objects.select_for_update().get(pk=root.pk)
        existing = root.get_children().filter(name=name).first()
        return existing or root.add_child(instance=Collection(name=name))


def site_settings_for(page: Page | None) -> VideoSiteSettings | None:
    """The settings of the page's site, or of the default site for a page outside every site (or none)."""
    site = page.get_site() if page is not None else None
    site = site or Site.objects.filter(is_default_site=True).first()
    return VideoSiteSettings.for_site(site) if site is not None else None


def video_page_models() -> list[type[Page]]:
    """The page types that can have a presenter video."""
    return [model for model in get_page_models() if issubclass(model, VideoPageMixin)]


class SiteTenancy(Tenancy):
    """The whole install as one organization; Wagtail groups and page permissions decide who may do what."""

    # Translators: completes "Only … can generate videos." and similar sentences.
    who_may_generate = _(
        "people who may edit this page and whose group has the 'Can generate presenter videos' permission"
    )
    # Translators: completes "Only … can see videos." and similar sentences.
    who_may_view = _("people who may edit this page")
    # Translators: completes "Ask … to add it." and similar sentences.
    who_may_manage_presenters = _(
        "someone whose group may generate presenter videos and add and change presenters "
        "(Settings → Groups), in Settings → Presenters"
    )

    def organization_for_page(self, page: Page) -> OrganizationInfo | None:
        return self.site_organization(site_settings_for(page))

    def organization(self, organization_id: int) -> OrganizationInfo | None:
        if organization_id != SITE_ORGANIZATION_ID:
            return None
        return self.site_organization(site_settings_for(None))

    def organizations(self) -> list[OrganizationInfo]:
        return [self.site_organization(site_settings_for(None))]

    def pages_of(self, organization_id: int) -> Iterable[Page]:
        models = video_page_models()
        if organization_id != SITE_ORGANIZATION_ID or not models:
            return Page.objects.none()
        return Page.objects.live().type(*models).specific().order_by("path")

    def can_generate(self, user: Any, page: Page) -> bool:
        # The permission first: it is cached on the user, the page's permissions cost a query.
        return user.has_perm(GENERATE_PERMISSION) and self.can_view(user, page)

    def can_view(self, user: Any, page: Page) -> bool:
        return page.permissions_for_user(user).can_edit()

    def can_generate_for_organization(self, user: Any, organization_id: int) -> bool:
        return organization_id == SITE_ORGANIZATION_ID and user.has_perm(GENERATE_PERMISSION)

    def can_view_organization(self, user: Any, organization_id: int) -> bool:
        # Whoever may generate, and a group given only "Can view presenter" (Settings → Groups).
        return organization_id == SITE_ORGANIZATION_ID and (
            user.has_perm(GENERATE_PERMISSION) or user.has_perm("video_plugin.view_presenter")
        )

    def documents_of(self, organization: OrganizationInfo) -> QuerySet[Any]:
        # One organization, the whole site: consent evidence may be any document (keep it in a private
        # collection).
        return get_document_model().objects.all()

    def images_of(self, organization: OrganizationInfo) -> QuerySet[AbstractImage]:
        # The site's tokens act for every page, so they may name any image as the presenter.
        return get_image_model().objects.all()

    @staticmethod
    def site_organization(site_settings: VideoSiteSettings | None) -> OrganizationInfo:
        """The one organization, with the presenter and voice defaults of ``site_settings``."""
        return OrganizationInfo(
            id=SITE_ORGANIZATION_ID,
            name=getattr(settings, "WAGTAIL_SITE_NAME", "") or "This site",
            collection=video_collection(),
            default_voice=site_settings.default_voice if site_settings else "",
            default_presenter_image=site_settings.default_presenter_image if site_settings else None,
            auto_generate_on_publish=bool(site_settings and site_settings.auto_generate_on_publish),
            editor_videos_live_at_once=bool(site_settings and site_settings.editor_videos_live_at_once),
            slug=SITE_ORGANIZATION_SLUG,
        )
