"""wagtailmedia's chooser modal with its collection filter and popular tags limited to what the user may see.

wagtailmedia 0.19 fills the chooser's collection dropdown with every collection in the site
(``Collection.objects.all()``) and its tag list with the tags of every media item. Each organization's
collection bears the organization's name (:mod:`shop.roles`), so anyone able to open the chooser would learn
the name of every other organization, and their media's tags. The media items themselves were already scoped
by wagtailmedia's permission policy.

The two views here answer wagtailmedia's own URLs for the responses that draw the whole modal: opening the
chooser (``/admin/media/chooser/`` and its audio and video variants) and its upload tab
(``/admin/media/<type>/chooser/upload/``, drawn again when an upload is refused). ``shop.wagtail_hooks``
registers them ahead of wagtailmedia's URLs, so ``reverse("wagtailmedia:chooser")`` and every chooser widget
reach them unchanged.
The chooser's result pages (search, paging, tag and collection filters) name no collection and stay
wagtailmedia's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.auth import permission_denied
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.modal_workflow import render_modal_workflow
from wagtail.search.backends import get_search_backends
from wagtailmedia.forms import get_media_form
from wagtailmedia.models import get_media_model
from wagtailmedia.utils import paginate
from wagtailmedia.views import chooser as wagtailmedia_chooser

from shop.popular_tags import popular_tags
from video_plugin.permissions import permission_policy_for

# wagtailmedia has no "choose" permission: its chooser lists the media the user may change or delete, so the
# collection filter offers the collections holding such media and nothing else.
LISTED_ACTIONS = ("change", "delete")
# Query parameters that make wagtailmedia's chooser answer with a results page instead of the whole modal.
RESULTS_PARAMETERS = ("q", "p", "tag", "collection_id")
MEDIA_TYPES = ("audio", "video")
UPLOAD_FORM_PREFIX = "media-chooser-upload"  # the prefix wagtailmedia's chooser JavaScript posts with
TITLES = {None: _("Choose a media item"), "audio": _("Choose audio"), "video": _("Choose video")}


def chooser(request: HttpRequest, media_type: str | None = None) -> HttpResponse:
    """The chooser modal, or (for a search, a page or a filter) wagtailmedia's own results page."""
    if any(name in request.GET for name in RESULTS_PARAMETERS):
        return wagtailmedia_chooser.chooser(request, media_type)
    may_add = media_permission_policy().user_has_permission(request.user, "add")
    types = (media_type,) if media_type else MEDIA_TYPES
    upload_forms = {kind: upload_form(request, kind) for kind in types} if may_add else {}
    return render_chooser(request, media_type, upload_forms)


def chooser_upload(request: HttpRequest, media_type: str) -> HttpResponse:
    """Save an upload from the chooser's upload tab and choose it, or draw the modal again with the form's
    errors."""
    if not media_permission_policy().user_has_permission(request.user, "add"):
        return permission_denied(request)
    if request.method == "POST":
        form = upload_form(request, media_type, request.POST, request.FILES)
    else:
        form = upload_form(request, media_type)
    if form.is_bound and form.is_valid():
        media = form.save()
        # Tags are saved after the item's first index, so it is indexed again to make them searchable.
        for backend in get_search_backends():
            backend.add(media)
        return render_modal_workflow(
            request,
            None,
            None,
            None,
            json_data={"step": "media_chosen", "result": wagtailmedia_chooser.get_media_json(media)},
        )
    return render_chooser(request, media_type, {media_type: form})


def render_chooser(
    request: HttpRequest, media_type: str | None, upload_forms: dict[str, Any]
) -> HttpResponse:
    """Draw the chooser modal with wagtailmedia's template, its lists limited to the user's media."""
    ordering = wagtailmedia_chooser.get_ordering(request)
    media_files = listed_media(request, media_type)
    paginator, page = paginate(request, media_files.order_by(ordering))
    collections = media_permission_policy().collections_user_has_any_permission_for(
        request.user, LISTED_ACTIONS
    )
    if media_type:
        chooser_url = reverse("wagtailmedia:chooser_typed", args=(media_type,))
    else:
        chooser_url = reverse("wagtailmedia:chooser")
    context = {
        "media_files": page,
        "searchform": SearchForm(),
        # A single collection needs no filter (wagtailmedia's own rule).
        "collections": collections if len(collections) > 1 else None,
        "uploadforms": upload_forms,
        "is_searching": False,
        "popular_tags": popular_tags(media_files),
        "media_type": media_type,
        "ordering": ordering,
        "title": TITLES[media_type],
        "icon": f"wagtailmedia-{media_type}" if media_type else "media",
        "chooser_url": chooser_url,
        "elided_page_range": paginator.get_elided_page_range(request.GET.get("p", 1)),
    }
    return render_modal_workflow(
        request,
        "wagtailmedia/chooser/chooser.html",
        None,
        context,
        json_data={
            "step": "chooser",
            "error_label": "Server Error",
            "error_message": "Report this error to your webmaster with the following information:",
            "tag_autocomplete_url": reverse("wagtailadmin_tag_autocomplete"),
        },
    )


def listed_media(request: HttpRequest, media_type: str | None) -> QuerySet:
    """The media the user may choose, after the ``construct_media_chooser_queryset`` hooks."""
    media_files = media_permission_policy().instances_user_has_any_permission_for(
        request.user, LISTED_ACTIONS
    )
    for hook in hooks.get_hooks("construct_media_chooser_queryset"):
        media_files = hook(media_files, request)
    return media_files.filter(type=media_type) if media_type else media_files


def upload_form(request: HttpRequest, media_type: str, data: Any = None, files: Any = None) -> Any:
    """wagtailmedia's media form for a new item of ``media_type`` (its collection field is already limited
    to the collections the user may add to)."""
    media_model = get_media_model()
    form_class = get_media_form(media_model)
    instance = media_model(uploaded_by_user=request.user, type=media_type)
    return form_class(data, files, instance=instance, user=request.user, prefix=UPLOAD_FORM_PREFIX)


def media_permission_policy() -> Any:
    """The media model's permission policy, as registered with Wagtail."""
    return permission_policy_for(get_media_model())


# Anchored at both ends, and relative to the admin's root like wagtailmedia's own ``media/`` include.
urlpatterns: list[URLPattern] = [
    re_path(r"^media/chooser/$", chooser),
    re_path(r"^media/chooser/(?P<media_type>audio|video)/$", chooser),
    re_path(r"^media/(?P<media_type>audio|video)/chooser/upload/$", chooser_upload),
]
