"""Organization roles mapped onto Wagtail's own permissions: one Group per role, scoped to the organization.

Each organization gets a Collection (child of the root) and, per role, a Group holding page permissions on its
index page and collection permissions on its collection. A Membership puts its user in exactly the groups of
its role (:mod:`shop.role_sync`), so Wagtail's admin enforces the tenancy boundary for pages, images and media
without custom code.
"""

from __future__ import annotations

import enum
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page
from wagtailmedia.models import get_media_model


class Role(enum.StrEnum):
    """A member's role in an organization. Owners and admins generate videos; editors only see them."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"


# The roles that generate, cancel and switch videos, and manage API tokens and webhooks (shop.tenancy).
GENERATING_ROLES = frozenset({Role.OWNER, Role.ADMIN})

# Page actions on the organization's index page and everything below it.
PAGE_ACTIONS: dict[Role, tuple[str, ...]] = {
    Role.OWNER: ("add", "change", "publish", "lock", "unlock", "bulk_delete"),
    Role.ADMIN: ("add", "change", "publish", "lock", "unlock"),
    Role.EDITOR: ("add", "change"),
}
# Image and media actions in the organization's collection (wagtailmedia has no "choose" permission; images
# do).
COLLECTION_ACTIONS: dict[Role, tuple[str, ...]] = {
    Role.OWNER: ("add", "change", "delete", "choose"),
    Role.ADMIN: ("add", "change", "choose"),
    Role.EDITOR: ("add", "choose"),
}
# Documents in the organization's collection are the evidence of presenters' consent (signed forms,
# recordings): personal data that only the people who record consent upload and choose. Editors get none.
DOCUMENT_ACTIONS: dict[Role, tuple[str, ...]] = {
    Role.OWNER: ("add", "change", "delete", "choose"),
    Role.ADMIN: ("add", "change", "choose"),
    Role.EDITOR: (),
}

# The headless API's admin screens (Settings → Video API): owners and admins manage their organization's API
# tokens and webhooks and read its delivery log; the screens themselves show only organizations where the user
# is owner or admin (video_plugin.api.admin_viewsets). Editors get none of them.
API_ADMIN_PERMISSIONS: tuple[str, ...] = (
    "add_apitoken",
    "change_apitoken",
    "delete_apitoken",
    "add_webhookendpoint",
    "change_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookdelivery",
)
# Settings → Brand kits: owners and admins set their organization's logo, colours, music and video defaults
# (video_plugin.brand.admin_viewsets shows them only their organizations' kits). Editors get none.
BRAND_KIT_PERMISSIONS: tuple[str, ...] = ("add_brandkit", "change_brandkit", "delete_brandkit")
# Settings → Presenters: owners and admins add and change their organization's presenters, record consent
# and revoke it ("change" on a consent record), and take a presenter's videos off live pages; editors see the
# presenters and their consent status, read-only (video_plugin.presenters.admin_viewsets keeps each to their
# own organizations). Nobody deletes either: jobs and their content credentials name them.
PRESENTER_VIEW_PERMISSIONS: tuple[str, ...] = ("view_presenter", "view_consentrecord")
PRESENTER_PERMISSIONS: tuple[str, ...] = (
    "add_presenter",
    "change_presenter",
    "add_consentrecord",
    "change_consentrecord",
    *PRESENTER_VIEW_PERMISSIONS,
)
MODEL_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.OWNER: API_ADMIN_PERMISSIONS + BRAND_KIT_PERMISSIONS + PRESENTER_PERMISSIONS,
    Role.ADMIN: API_ADMIN_PERMISSIONS + BRAND_KIT_PERMISSIONS + PRESENTER_PERMISSIONS,
    Role.EDITOR: PRESENTER_VIEW_PERMISSIONS,
}


def group_name(organization: Any, role: Role) -> str:
    """The Wagtail group for a role, named by organization id so that renaming keeps it."""
    return f"org-{organization.pk} {role.value}s"


def ensure_organization_access(organization: Any) -> None:
    """Create the organization's collection and role groups with their permissions; safe to repeat."""
    with transaction.atomic():
        if organization.collection_id is None:
            root = Collection.get_first_root_node()
            collection = root.add_child(instance=Collection(name=organization.name))
            type(organization).objects.filter(pk=organization.pk).update(collection=collection)
            organization.collection = collection
        # Every locale's index page (Wagtail i18n): members edit each translation of the catalogue.
        index_pages = list(organization.index_pages.all()) if organization.pk else []
        admin_access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        for role in Role:
            group, _ = Group.objects.get_or_create(name=group_name(organization, role))
            group.permissions.add(admin_access, *model_permissions(role))
            for permission in collection_permissions(role):
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=organization.collection, permission=permission
                )
            for index_page in index_pages:
                for permission in page_permissions(role):
                    GroupPagePermission.objects.get_or_create(
                        group=group, page=index_page, permission=permission
                    )


def page_permissions(role: Role) -> list[Permission]:
    page_type = ContentType.objects.get_for_model(Page)
    codenames = [f"{action}_{Page._meta.model_name}" for action in PAGE_ACTIONS[role]]
    return list(Permission.objects.filter(content_type=page_type, codename__in=codenames))


def model_permissions(role: Role) -> list[Permission]:
    """The role's permissions on the plugin's own models (tokens, webhooks, deliveries, brand kits,
    presenters and consent records)."""
    return list(
        Permission.objects.filter(
            content_type__app_label="video_plugin", codename__in=MODEL_PERMISSIONS[role]
        )
    )


def collection_permissions(role: Role) -> list[Permission]:
    permissions: list[Permission] = []
    for model, actions in (
        (get_image_model(), COLLECTION_ACTIONS[role]),
        (get_media_model(), COLLECTION_ACTIONS[role]),
        (get_document_model(), DOCUMENT_ACTIONS[role]),
    ):
        content_type = ContentType.objects.get_for_model(model)
        codenames = [f"{action}_{model._meta.model_name}" for action in actions]
        permissions += Permission.objects.filter(content_type=content_type, codename__in=codenames)
    return permissions
