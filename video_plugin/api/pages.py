"""Wagtail API v2 endpoints of the plugin (apart from :mod:`video_plugin.api.fields`, which models import)."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from wagtail.api.v2.views import PagesAPIViewSet

from video_plugin.api.fields import prefetch_current_videos


class VideoPagesAPIViewSet(PagesAPIViewSet):
    """Wagtail's pages endpoint, loading the current videos (and locales) of a listing's pages in one query
    each."""

    def paginate_queryset(self, queryset: Any) -> list[Any]:
        pages = list(super().paginate_queryset(queryset))
        prefetch_current_videos(pages)
        # Under Wagtail i18n each page's URL and meta name its locale: one query per listing, not one each.
        prefetch_related_objects(pages, "locale")
        return pages
