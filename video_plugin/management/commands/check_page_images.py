"""``manage.py check_page_images``: list the pages whose image fields name another organization's images.

The page form refuses such images from now on (:class:`~video_plugin.editor.page_form.VideoPageForm`), and a
job refuses them as its presenter; pages saved before either check may still hold one, in their live
version or in a draft. This finds them, so an admin can choose the organization's own images instead. It
exits with status 1 when it finds any, for use in a deploy script or a cron job.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import ForeignKey
from wagtail.images.models import AbstractImage
from wagtail.models import Page

from video_plugin.site_tenancy import video_page_models
from video_plugin.tenancy import get_tenancy


def image_fields(model: type[Page]) -> list[str]:
    """The names of ``model``'s foreign keys to an image model."""
    return [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, ForeignKey) and issubclass(field.related_model, AbstractImage)
    ]


def foreign_images(page: Page) -> Iterator[tuple[str, str, Any]]:
    """``(version, field, image id)`` for each image of the page's live version, and of its latest draft where
    that differs, that its organization may not use."""
    tenancy = get_tenancy()
    organization = tenancy.organization_for_page(page)
    if organization is None:
        return
    allowed = tenancy.images_of(organization)
    versions = [("live", page)]
    if page.has_unpublished_changes:
        versions.append(("draft", page.get_latest_revision_as_object()))
    for version, content in versions:
        for name in image_fields(type(page)):
            image_id = getattr(content, f"{name}_id", None)
            if version == "draft" and image_id == getattr(page, f"{name}_id", None):
                continue  # said already, of the live version
            if image_id is not None and not allowed.filter(pk=image_id).exists():
                yield version, name, image_id


class Command(BaseCommand):
    help = "List pages whose image fields name images their organization may not use; exit 1 if any."

    def handle(self, *args: Any, **options: Any) -> None:
        found = 0
        for model in video_page_models():
            for page in model.objects.order_by("path"):
                for version, field, image_id in foreign_images(page):
                    found += 1
                    self.stdout.write(
                        f"page {page.pk} {page.title!r} ({version}): {field} is image {image_id}, which is "
                        "not one of its organization's images"
                    )
        if found:
            raise CommandError(
                f"{found} image reference(s) outside their page's organization; choose the organization's "
                "own images for these fields in the page editor"
            )
        self.stdout.write("Every video page names only its organization's images.")
