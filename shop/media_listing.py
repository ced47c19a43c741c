"""wagtailmedia's media listing with its tag list limited to the media the user may see.

wagtailmedia 0.19's listing (``/admin/media/``) lists only the media the user may change or delete, but
its "Popular Tags" list (drawn for users with two or more collections) counts the tags of every media item
in the site, so a user of two organizations would read a third organization's media tags. The view here
draws the listing page with wagtailmedia's template and a tag list counted among the listed media.
``shop.wagtail_hooks`` routes it on wagtailmedia's URL, ahead of wagtailmedia's own, so
``reverse("wagtailmedia:index")`` reaches it unchanged. The listing's results, fetched by the search box
(an ``XMLHttpRequest``), name no tag and stay wagtailmedia's.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers
from wagtail.admin.forms.search import SearchForm
from wagtailmedia.permissions import MediaPermissionPolicyChecker
from wagtailmedia.utils import paginate
from wagtailmedia.views import media as wagtailmedia_views

from shop.popular_tags import popular_tags

permission_checker = MediaPermissionPolicyChecker()
ORDERINGS = ("title", "-title", "-created_at", "created_at")  # those wagtailmedia's listing accepts
DEFAULT_ORDERING = "-created_at"


@permission_checker.require_any("add", "change", "delete")
@vary_on_headers("X-Requested-With")
def index(request: HttpRequest) -> HttpResponse:
    """The media listing page: the user's media, filtered by collection, search and tag as wagtailmedia's."""
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return wagtailmedia_views.index(request)
    policy = permission_checker.policy
    listed = policy.instances_user_has_any_permission_for(request.user, ["change", "delete"])
    ordering = request.GET.get("ordering")
    if ordering not in ORDERINGS:
        ordering = DEFAULT_ORDERING
    media = listed.order_by(ordering)

    # Only the user's collections can be chosen; another id is ignored, as wagtailmedia ignores unknown ids.
    collections = policy.collections_user_has_any_permission_for(request.user, ["add", "change"])
    current_collection = None
    if collection_id := request.GET.get("collection_id", "").strip():
        current_collection = collections.filter(pk=collection_id).first() if collection_id.isdigit() else None
        if current_collection is not None:
            media = media.filter(collection=current_collection)

    query_string = ""
    if request.GET.get("q", "").strip():
        search_form = SearchForm(request.GET, placeholder=_("Search media files"))
        if search_form.is_valid():
            query_string = search_form.cleaned_data["q"]
            media = media.search(query_string)
    else:
        search_form = SearchForm(placeholder=_("Search media"))

    current_tag = request.GET.get("tag") or None
    if current_tag and query_string:
        # Search results cannot be filtered further; wagtailmedia drops the tag the same way.
        current_tag = None
    elif current_tag:
        media = media.filter(tags__name=current_tag)

    _paginator, page = paginate(request, media)
    return render(
        request,
        "wagtailmedia/media/index.html",
        {
            "ordering": ordering,
            "media_files": page,
            "query_string": query_string,
            "is_searching": bool(query_string),
            "search_form": search_form,
            "popular_tags": popular_tags(listed),
            "current_tag": current_tag,
            "user_can_add": policy.user_has_permission(request.user, "add"),
            # A single collection needs no filter (wagtailmedia's own rule).
            "collections": collections if len(collections) > 1 else None,
            "current_collection": current_collection,
        },
    )


# Anchored at both ends, and relative to the admin's root like wagtailmedia's own ``media/`` include.
urlpatterns: list[URLPattern] = [path("media/", index)]
