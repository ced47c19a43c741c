"""video_plugin's tenancy for the shop: an organization owns the pages under its index page."""

from __future__ import annotations

from typing import Any

from shop.models import Membership, Organization, ProductIndexPage, ProductPage
from video_plugin.tenancy import OrganizationInfo, Role, Tenancy


def organization_info(organization: Organization) -> OrganizationInfo:
    return OrganizationInfo(
        id=organization.pk,
        name=organization.name,
        collection=organization.collection,
        default_voice=organization.default_voice,
        default_presenter_image=organization.default_presenter_image,
        auto_generate_on_publish=organization.auto_generate_on_publish,
        slug=organization.slug,
    )


class ShopTenancy(Tenancy):
    """Organizations of :mod:`shop.models`, found through the page's ``ProductIndexPage`` ancestor."""

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

    def role_of(self, user: Any, organization_id: int) -> Role | None:
        if not user.is_authenticated:
            return None
        role = (
            Membership.objects.filter(user_id=user.pk, organization_id=organization_id)
            .values_list("role", flat=True)
            .first()
        )
        return Role(role) if role else None

    def organizations(self) -> list[OrganizationInfo]:
        return [
            organization_info(organization)
            for organization in Organization.objects.select_related("collection", "default_presenter_image")
        ]

    def pages_of(self, organization_id: int) -> Any:
        index = ProductIndexPage.objects.filter(organization_id=organization_id).first()
        if index is None:
            return ProductPage.objects.none()
        return ProductPage.objects.descendant_of(index).live().order_by("path")
