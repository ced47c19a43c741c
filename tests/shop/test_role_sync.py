"""Existing organizations' role groups get permissions added after they were created, at every migrate."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from shop.role_sync import sync_after_migrate
from shop.roles import Role, group_name

pytestmark = pytest.mark.django_db


def access_snapshot() -> dict[str, Any]:
    """Every role group's model, collection and page permissions, with row ids, to tell any change."""
    return {
        "groups": sorted(Group.objects.values_list("pk", "name")),
        "model": sorted(Group.permissions.through.objects.values_list("pk", "group_id", "permission_id")),
        "collection": sorted(
            GroupCollectionPermission.objects.values_list("pk", "group_id", "collection_id", "permission_id")
        ),
        "page": sorted(GroupPagePermission.objects.values_list("pk", "group_id", "page_id", "permission_id")),
    }


def take_away_permissions(world: Any) -> tuple[Group, Permission, Permission]:
    """Make acme's admin group look as if created before ``add_apitoken`` and ``add_media`` were granted."""
    group = Group.objects.get(name=group_name(world.orgs["acme"], Role.ADMIN))
    token_permission = Permission.objects.get(content_type__app_label="video_plugin", codename="add_apitoken")
    media_permission = Permission.objects.get(content_type__app_label="wagtailmedia", codename="add_media")
    group.permissions.remove(token_permission)
    GroupCollectionPermission.objects.filter(group=group, permission=media_permission).delete()
    return group, token_permission, media_permission


def assert_has_them_again(world: Any, group: Group, token: Permission, media: Permission) -> None:
    assert group.permissions.filter(pk=token.pk).exists()
    assert GroupCollectionPermission.objects.filter(
        group=group, permission=media, collection=world.orgs["acme"].collection
    ).exists()
    admin = world.users[("admin", "acme")]
    admin = type(admin).objects.get(pk=admin.pk)  # a fresh user: has_perm caches per instance
    assert admin.has_perm("video_plugin.add_apitoken")


def test_the_handler_gives_a_group_its_missing_permissions_and_a_second_run_changes_nothing(world):
    group, token, media = take_away_permissions(world)
    sender = apps.get_app_config("sessions")
    sync_after_migrate(sender=sender)
    assert_has_them_again(world, group, token, media)
    after_first = access_snapshot()
    sync_after_migrate(sender=sender)
    assert access_snapshot() == after_first


def test_the_handler_leaves_every_complete_organization_as_it_was(world):
    before = access_snapshot()
    sync_after_migrate(sender=apps.get_app_config("sessions"))
    assert access_snapshot() == before


def test_migrate_runs_the_sync(world):
    group, token, media = take_away_permissions(world)
    call_command("migrate", verbosity=0, interactive=False)
    assert_has_them_again(world, group, token, media)
