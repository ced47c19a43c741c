"""video_plugin's tenancy for the shop: an organization owns the pages under its index page, and a member's
role in it decides what they may do: owners and admins generate videos, editors see them.

The worked example of a custom :class:`video_plugin.tenancy.Tenancy`; a site without organizations needs none
(the plugin's default, ``SiteTenancy``, uses Wagtail's groups and page permissions).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from shop.models import Membership, Organization, ProductIndexPage, ProductPage
from shop.roles import GENERATING_ROLES, Role
from video_plugin.tenancy import OrganizationInfo, Tenancy


def organization_info(organization: Organization) -> OrganizationInfo:
    return OrganizationInfo(
        id=organization.pk,
        name=organization.name,
        collection=organization.collection,
        default_voice=organization.default_voice,
        default_presenter_image=organization.default_presenter_image,
        auto_generate_on_publish=organization.auto_generate_on_publish,
        editor_videos_live_at_once=organization.editor_videos_live_at_once,
        slug=organization.slug,
    )


class ShopTenancy(Tenancy):
    """Organizations of :mod:`shop.models`, found through the page's ``ProductIndexPage`` ancestor.

    A translated product page lives under the translated index page, which names the same organization, so
    every locale's page finds its organization the same way."""

    # Lazy, so each editor reads them in their own language (shop/locale).
    # Translators: completes "Only … can generate videos." and similar sentences.
    who_may_generate = _("owners and admins of the page's organization")
    # Translators: completes "Only … can see videos." and similar sentences.
    who_may_view = _("members of the page's organization")
    # Translators: completes "Ask … to add it." and similar sentences; keep "Settings → Presenters" as the
    # admin menu names it in your language.
    who_may_manage_presenters = _("an owner or admin of the organization (Settings → Presenters)")

    def organization_for_page(self, page: Any) -> OrganizationInfo | None:
        index = (
            ProductIndexPage.objects.ancestor_of(page, inclusive=True)
            .select_related("organization__collection", "organization__default_presenter_image")
            .first()
        )
        return organization_info(index.organization) if index else None

    def organization(self, organization_id: int) -> OrganizationInfo | None:
        organization = Organization.objects.select_related("collection").filter(pk=organization_id).first()
        return organization_info(organization) if organization else None

    def organizations(self) -> list[OrganizationInfo]:
        return [
            organization_info(organization)
            for organization in Organization.objects.select_related("collection", "default_presenter_image")
        ]

    def pages_of(self, organization_id: int) -> Any:
        """The live product pages of the organization's catalogue in the default language; their translations
        are pages of their own (``page.get_translations()``), which ``generate_videos --all-locales`` adds."""
        organization = Organization.objects.filter(pk=organization_id).first()
        index = organization.index_page if organization is not None else None
        if index is None:
            return ProductPage.objects.none()
        return ProductPage.objects.descendant_of(index).live().order_by("path")

    def can_generate(self, user: Any, page: Any) -> bool:
        organization_id = self.organization_id_of(page)
        return organization_id is not None and self.role_of(user, organization_id) in GENERATING_ROLES

    def can_view(self, user: Any, page: Any) -> bool:
        organization_id = self.organization_id_of(page)
        return organization_id is not None and self.role_of(user, organization_id) is not None

    def can_generate_for_organization(self, user: Any, organization_id: int) -> bool:
        return self.role_of(user, organization_id) in GENERATING_ROLES

    def can_view_organization(self, user: Any, organization_id: int) -> bool:
        return self.role_of(user, organization_id) is not None

    def role_of(self, user: Any, organization_id: int) -> Role | None:
        """The user's role in the organization, or ``None`` for a non-member."""
        if not user.is_authenticated:
            return None
        role = (
            Membership.objects.filter(user_id=user.pk, organization_id=organization_id)
            .values_list("role", flat=True)
            .first()
        )
        return Role(role) if role else None

    @staticmethod
    def organization_id_of(page: Any) -> int | None:
        """The id of the organization whose index page is ``page`` or above it (one query, no joins)."""
        return (
            ProductIndexPage.objects.ancestor_of(page, inclusive=True)
            .values_list("organization_id", flat=True)
            .first()
        )
