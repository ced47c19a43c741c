"""The tags suggested by the admin's listings and choosers, counted only among what the user may see.

Wagtail's ``popular_tags_for_model`` counts the tags of every object of a model in the site, so the tag
lists of the image and media screens would name the tags of every organization's images and media.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, QuerySet
from taggit.models import Tag

POPULAR_TAG_COUNT = 10  # as many as Wagtail's own tag lists show


def popular_tags(objects: QuerySet, count: int = POPULAR_TAG_COUNT) -> QuerySet:
    """The ``count`` tags used most among ``objects``, most used first, then by name."""
    content_type = ContentType.objects.get_for_model(objects.model)
    return (
        Tag.objects.filter(
            taggit_taggeditem_items__content_type=content_type,
            taggit_taggeditem_items__object_id__in=objects.values("pk"),
        )
        .annotate(item_count=Count("taggit_taggeditem_items"))
        .order_by("-item_count", "name")[:count]
    )
