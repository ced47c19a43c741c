"""Admin registration: organizations and memberships as snippets under one menu, the image and media
screens (listings and choosers) scoped to the user's collections and their tags, and the page chooser
scoped to the pages the user may explore."""

from django.urls import URLPattern
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from shop import image_views, media_chooser, media_listing, page_views
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


# The first matching URL wins: these hooks are ordered before Wagtail's and wagtailmedia's (order 0)
# whatever the order of INSTALLED_APPS, so their views answer those libraries' URLs.
@hooks.register("register_admin_urls", order=-1)
def register_scoped_media_chooser() -> list[URLPattern]:
    return media_chooser.urlpatterns


@hooks.register("register_admin_urls", order=-1)
def register_scoped_media_listing() -> list[URLPattern]:
    return media_listing.urlpatterns


@hooks.register("register_admin_urls", order=-1)
def register_scoped_image_views() -> list[URLPattern]:
    return image_views.urlpatterns


# Wagtail's page chooser lists every page in the tree; this leaves the pages the user may explore and the
# ancestors leading to them. shop.page_views covers the chooser's views that this hook does not reach.
hooks.register("construct_page_chooser_queryset", page_views.scope_page_chooser)
