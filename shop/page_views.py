"""Wagtail's page chooser and "Page types usage" report limited to the pages the user may explore.

Wagtail's explorer, its page search and most of its reports list only the pages the user may explore (those
under a page where one of their groups holds a page permission, and the ancestors leading down to them). Two
admin screens read the whole tree instead, so a member of one organization would read the titles, ids and
URLs of every other organization's pages, drafts included:

- the page chooser (browsing, searching, and answering a choice of page ids), which lists every page and
  only greys out those that cannot be chosen;
- the "Page types usage" report, which counts each type's pages and names the last edited one.

The chooser's listings are narrowed by the ``construct_page_chooser_queryset`` hook (``shop.wagtail_hooks``).
The views here cover what that hook does not reach: the page a browse starts from (given by id, or the first
common ancestor of the pages of the wanted types), the chosen ids, and the report. ``shop.urls`` routes
Wagtail's URLs for them ahead of Wagtail's own, so every chooser widget and ``reverse()`` reach them
unchanged.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views import chooser
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.models import Page
from wagtail.utils.urlpatterns import decorate_urlpatterns

from video_plugin.permissions import permission_policy_for


def explorable_pages(user: Any) -> QuerySet:
    """The pages ``user`` may explore in Wagtail's admin (its page permission policy)."""
    return permission_policy_for(Page).explorable_instances(user)


def choosable_pages(user: Any) -> QuerySet:
    """The pages the page chooser shows ``user``: those they may explore, and the ancestors above them that
    the chooser opens at (the root and the site's home page, never a page of another organization, whose
    index pages are siblings)."""
    explorable_root = permission_policy_for(Page).explorable_root_instance(user)
    if explorable_root is None:
        return Page.objects.none()
    return Page.objects.filter(
        Q(pk__in=explorable_pages(user).values("pk"))
        | Q(pk__in=Page.objects.ancestor_of(explorable_root).values("pk"))
    )


def scope_page_chooser(pages: QuerySet, request: HttpRequest) -> QuerySet:
    """``construct_page_chooser_queryset`` hook: the chooser's browse and search list only choosable
    pages."""
    return pages.filter(pk__in=choosable_pages(request.user).values("pk"))


class BrowseView(chooser.BrowseView):
    """Wagtail's chooser browse, refusing to open at a page the user may not choose."""

    def get(self, request: HttpRequest, parent_page_id: int | None = None) -> HttpResponse:
        pages = choosable_pages(request.user)
        if parent_page_id is not None:
            if not pages.filter(pk=parent_page_id).exists():
                raise Http404
        elif request.GET.get("page_type"):
            try:
                page_types = chooser.page_models_from_string(request.GET["page_type"])
            except (ValueError, LookupError) as error:
                raise Http404 from error
            # Wagtail opens at the first common ancestor of every page of those types in the tree, which is
            # another organization's index page when only that organization has such pages.
            parent_page_id = pages.type(*page_types).first_common_ancestor().pk
        return super().get(request, parent_page_id)


class ChosenMultipleView(chooser.ChosenMultipleView):
    """Wagtail's answer to a choice of several pages (their titles, URLs and parents), for choosable pages
    only."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            ids = {int(value) for value in request.GET.getlist("id")}
        except ValueError as error:
            raise Http404 from error
        if choosable_pages(request.user).filter(pk__in=ids).count() != len(ids):
            raise Http404
        return super().get(request)


class PageTypesUsageView(PageTypesUsageReportView):
    """Wagtail's "Page types usage" report, counting and naming as last edited only the pages the user may
    explore."""

    def get_queryset(self) -> QuerySet:
        pages = explorable_pages(self.request.user)
        self.queryset = ContentType.objects.filter(model__in=self.page_models)
        base_type = ContentType.objects.get_for_model(Page)
        if not pages.filter(depth__gt=1, content_type=base_type).exists():
            # As Wagtail does: the base page type is listed only where there are pages of it.
            self.queryset = self.queryset.exclude(pk=base_type.pk)
        queryset = self.filter_queryset(self.queryset)
        if language_code := self.filters.form.cleaned_data.get("page_locale"):
            pages = pages.filter(locale__language_code=language_code)
        if site_root_path := self.filters.form.cleaned_data.get("site"):
            pages = pages.filter(path__startswith=site_root_path)
        last_edited = pages.filter(content_type=OuterRef("pk")).order_by(
            F("latest_revision_created_at").desc(nulls_last=True), "title", "-pk"
        )
        return queryset.annotate(
            count=Count("pages", filter=Q(pages__in=pages.values("pk"))),
            last_edited_page_id=Subquery(last_edited.values("pk")[:1]),
        ).order_by("-count", "app_label", "model")


# Paths relative to the admin's root, as in Wagtail's admin URLconf, and decorated as there: admin access
# required, never cached.
urlpatterns: list[URLPattern] = [
    path("choose-page/", BrowseView.as_view()),
    path("choose-page/<int:parent_page_id>/", BrowseView.as_view()),
    path("choose-page/chosen-multiple/", ChosenMultipleView.as_view()),
    path("reports/page-types-usage/", PageTypesUsageView.as_view()),
    path("reports/page-types-usage/results/", PageTypesUsageView.as_view(results_only=True)),
]
urlpatterns = decorate_urlpatterns(decorate_urlpatterns(urlpatterns, require_admin_access), never_cache)
