"""Admin registration: organizations and memberships as snippets under one menu."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from shop.models import Membership, Organization


class OrganizationViewSet(SnippetViewSet):
    model = Organization
    icon = "group"
    list_display = ["name", "slug", "default_voice", "auto_generate_on_publish"]
    search_fields = ["name", "slug"]


class MembershipViewSet(SnippetViewSet):
    model = Membership
    icon = "user"
    list_display = ["user", "organization", "role"]
    list_filter = ["organization", "role"]


class OrganizationsGroup(SnippetViewSetGroup):
    menu_label = "Organizations"
    menu_icon = "group"
    items = (OrganizationViewSet, MembershipViewSet)


register_snippet(OrganizationsGroup)
