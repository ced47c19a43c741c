"""Organizations: their collection, role groups with Wagtail permissions, and memberships kept in sync."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from shop.models import Membership, Organization
from shop.roles import Role, group_name
from shop.tenancy import ShopTenancy


@pytest.mark.django_db
def test_organization_gets_its_own_collection_under_the_root(world):
    org = world.orgs["acme"]
    assert org.collection.name == "Acme"
    assert org.collection.get_parent() == Collection.get_first_root_node()
    assert world.orgs["bluebird"].collection != org.collection


@pytest.mark.django_db
def test_each_role_group_has_page_and_collection_permissions_of_its_role(world):
    org, index = world.orgs["acme"], world.index["acme"]
    page_codenames = {
        role: set(
            GroupPagePermission.objects.filter(group__name=group_name(org, role), page=index).values_list(
                "permission__codename", flat=True
            )
        )
        for role in Role
    }
    assert {"publish_page", "add_page", "change_page"} <= page_codenames[Role.OWNER]
    assert "publish_page" in page_codenames[Role.ADMIN]
    assert page_codenames[Role.EDITOR] == {"add_page", "change_page"}
    editor_collection = set(
        GroupCollectionPermission.objects.filter(
            group__name=group_name(org, Role.EDITOR), collection=org.collection
        ).values_list("permission__codename", flat=True)
    )
    assert {"choose_image", "add_image", "add_media"} <= editor_collection
    assert "delete_image" not in editor_collection


@pytest.mark.django_db
def test_membership_keeps_the_users_groups_in_sync(world):
    org = world.orgs["acme"]
    user = world.outsider
    membership = Membership.objects.create(user=user, organization=org, role="editor")
    assert set(user.groups.values_list("name", flat=True)) == {group_name(org, Role.EDITOR)}
    membership.role = "owner"
    membership.save()
    assert set(user.groups.values_list("name", flat=True)) == {group_name(org, Role.OWNER)}
    membership.delete()
    assert not user.groups.exists()


@pytest.mark.django_db
def test_one_membership_per_user_and_organization(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=world.users[("owner", "acme")], organization=world.orgs["acme"], role="admin"
        )


@pytest.mark.django_db
def test_editor_can_edit_but_not_publish_and_cannot_touch_the_other_organization(world):
    editor = world.users[("editor", "acme")]
    assert world.product["acme"].permissions_for_user(editor).can_edit()
    assert not world.product["acme"].permissions_for_user(editor).can_publish()
    assert not world.product["bluebird"].permissions_for_user(editor).can_edit()
    assert world.product["acme"].permissions_for_user(world.users[("admin", "acme")]).can_publish()


@pytest.mark.django_db
def test_default_voice_must_name_its_engine(world):
    org = world.orgs["acme"]
    org.default_voice = "Jenny"
    with pytest.raises(ValidationError, match="engine-qualified"):
        org.full_clean()
    org.default_voice = "edge:en-US-JennyNeural"
    org.full_clean()


@pytest.mark.django_db
def test_tenancy_finds_the_organization_of_a_page_and_the_role_of_a_user(world):
    tenancy = ShopTenancy()
    info = tenancy.organization_for_page(world.product["bluebird"])
    assert info.id == world.orgs["bluebird"].pk and info.collection == world.orgs["bluebird"].collection
    assert tenancy.role_of(world.users[("admin", "acme")], world.orgs["acme"].pk) is Role.ADMIN
    assert tenancy.role_of(world.users[("admin", "acme")], world.orgs["bluebird"].pk) is None
    assert tenancy.organization_for_page(world.index["acme"].get_parent()) is None
    assert Organization.objects.count() == 2
