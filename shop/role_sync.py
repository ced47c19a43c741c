"""Keeping Wagtail's role groups in step with the shop's organizations and memberships.

A Membership saved or deleted puts its user in exactly the groups of their roles (:func:`sync_user_groups`),
and every ``migrate`` gives existing organizations' role groups the permissions added since they were created
(:func:`sync_after_migrate`). What each role may do is :mod:`shop.roles`; :meth:`shop.apps.ShopConfig.ready`
connects the receivers.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_delete, post_save

from shop.models import Membership, Organization
from shop.roles import Role, ensure_organization_access, group_name


def sync_every_organization() -> int:
    """Run :func:`ensure_organization_access` for every organization; returns how many there are.

    Role groups only ever gain what is missing: a permission a role no longer lists is left in place."""
    organizations = list(Organization.objects.select_related("collection").prefetch_related("index_pages"))
    for organization in organizations:
        ensure_organization_access(organization)
    return len(organizations)


def sync_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs: Any) -> None:
    """``post_migrate`` receiver: give existing organizations' role groups the permissions added since they
    were created, so that an upgrade needs no manual step. Idempotent, and quiet below verbosity 2."""
    # ensure_organization_access writes through the default database; a migrate of another alias has nothing
    # to do with it. After ``migrate shop zero`` there is no table to read.
    if using != DEFAULT_DB_ALIAS:
        return
    if Organization._meta.db_table not in connections[using].introspection.table_names():
        return
    count = sync_every_organization()
    if verbosity >= 2:
        print(f"Synced the role groups of {count} organization(s).")


def sync_user_groups(user: Any) -> None:
    """Put ``user`` in exactly the role groups of their memberships, leaving their other groups alone."""
    wanted = {
        group_name(m.organization, Role(m.role))
        for m in Membership.objects.filter(user=user).select_related("organization")
    }
    every_role_group = {group_name(org, role) for org in Organization.objects.all() for role in Role}
    current = set(user.groups.filter(name__in=every_role_group).values_list("name", flat=True))
    user.groups.remove(*Group.objects.filter(name__in=current - wanted))
    user.groups.add(*Group.objects.filter(name__in=wanted - current))


def _membership_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    user_model = get_user_model()
    # A membership deleted because its user was deleted has no user left to update.
    user = user_model.objects.filter(pk=instance.user_id).first()
    if user is not None:
        sync_user_groups(user)


def connect() -> None:
    """Keep group membership in step with Membership rows (called from the app's ``ready``)."""
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="shop.membership_saved")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="shop.membership_deleted")
