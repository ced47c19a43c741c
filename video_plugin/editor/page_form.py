"""The admin form of a page that can have a video: it names only images the page's organization may use.

A page's image fields are foreign keys, and the admin posts them as plain ids, so without this check an
editor could point a page's presenter or product photo at another organization's private image (by editing
the hidden input) and have it rendered into a video and shown on the public page.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from wagtail.admin.forms.pages import WagtailAdminPageForm
from wagtail.images.models import AbstractImage

from video_plugin.tenancy import get_tenancy


class VideoPageForm(WagtailAdminPageForm):
    """Wagtail's page form, refusing images outside the organization's (:meth:`Tenancy.images_of`)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # A page being created is not in the tree yet: its organization is its parent's.
        page = self.instance if self.instance.pk else getattr(self, "parent_page", None)
        tenancy = get_tenancy()
        organization = tenancy.organization_for_page(page) if page is not None else None
        if organization is None:
            return cleaned
        allowed = tenancy.images_of(organization)
        for name, value in list(cleaned.items()):
            if isinstance(value, AbstractImage) and not allowed.filter(pk=value.pk).exists():
                self.add_error(
                    name,
                    _(
                        "This image is not one of %(organization)s's images. Choose an image from "
                        "%(organization)s's own collection."
                    )
                    % {"organization": organization.name},
                )
        return cleaned
