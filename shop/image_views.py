"""Wagtail's image listing and image chooser with tag lists limited to the images the user may see.

Wagtail 8 scopes the images and the collection filter of both screens by its image permission policy, but
takes their tag suggestions from ``popular_tags_for_model``, which counts the tags of every image in the
site: a user of one organization would read the tags of every other organization's images.

The views here are Wagtail's own classes with only the tag list replaced. ``shop.wagtail_hooks`` routes
Wagtail's URLs for them (the listing, its results, and the chooser modal) ahead of Wagtail's, so
``reverse("wagtailimages:index")``, ``reverse("wagtailimages_chooser:choose")`` and every image chooser
widget reach them unchanged. The chooser's results view shows no tag list and stays Wagtail's.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import PopularTagsFilter
from wagtail.images import get_image_model
from wagtail.images.views import chooser as wagtail_chooser
from wagtail.images.views import images as wagtail_images

from shop.popular_tags import popular_tags
from video_plugin.permissions import permission_policy_for

# The images each screen lists: Wagtail's listing shows those the user may change or delete, its chooser
# those the user may choose.
LISTED_ACTIONS = ("change", "delete")
CHOSEN_ACTIONS = ("choose",)


def images_user_may(user: Any, actions: tuple[str, ...]) -> QuerySet:
    """The images in collections where ``user`` holds any of ``actions`` (Wagtail's image permission
    policy)."""
    return permission_policy_for(get_image_model()).instances_user_has_any_permission_for(user, actions)


class ImagesFilterSet(wagtail_images.ImagesFilterSet):
    """The listing's filters, with the tag filter offering only tags of the images the user may list."""

    def __init__(self, *args: Any, is_searching: bool | None = None, **kwargs: Any) -> None:
        # Wagtail's filterset builds its tag filter from every image's tags; it is built again here.
        super().__init__(*args, is_searching=is_searching, **kwargs)
        self.filters.pop("tag", None)
        tags = popular_tags(images_user_may(self.request.user, LISTED_ACTIONS))
        if tags:
            # Same filter as Wagtail's, so a tag the user owns filters the listing as before.
            self.filters["tag"] = PopularTagsFilter(
                label=_("Tag"),
                field_name="tags__name",
                choices=[(tag.name, tag.name) for tag in tags],
                widget=forms.CheckboxSelectMultiple,
                use_subquery=is_searching,
                help_text=_("Filter by up to ten most popular tags."),
            )


class ImageIndexView(wagtail_images.IndexView):
    """Wagtail's image listing with the tag filter of :class:`ImagesFilterSet`."""

    filterset_class = ImagesFilterSet


class ImageChooseView(wagtail_chooser.ImageChooseView):
    """Wagtail's image chooser modal, suggesting only tags of the images the user may choose."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["popular_tags"] = popular_tags(images_user_may(self.request.user, CHOSEN_ACTIONS))
        return context


class ImageChooserViewSet(wagtail_chooser.ImageChooserViewSet):
    """Wagtail's image chooser viewset with :class:`ImageChooseView`; it is never registered, only used to
    build the choose view with exactly the arguments Wagtail's viewset gives its own."""

    choose_view_class = ImageChooseView


chooser_viewset = ImageChooserViewSet(
    wagtail_chooser.viewset.name, model=get_image_model(), url_prefix=wagtail_chooser.viewset.url_prefix
)

# Relative to the admin's root, like Wagtail's own ``images/`` include and chooser viewset.
urlpatterns: list[URLPattern] = [
    path("images/", ImageIndexView.as_view()),
    path("images/results/", ImageIndexView.as_view(results_only=True)),
    path(f"{chooser_viewset.url_prefix}/", chooser_viewset.choose_view),
]
