"""The page mixin a host adds to its page model to make its pages narratable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from video_plugin.editor.page_form import VideoPageForm
from video_plugin.jobs.product import ProductFacts
from video_plugin.jobs.scripts import ScriptSource

if TYPE_CHECKING:
    from wagtail.images.models import AbstractImage


class VideoPageMixin:
    """Marks a page model as one that can have a presenter video, and says what the presenter says and looks
    like.

    Override :meth:`video_script_source`, :meth:`video_presenter_image` and :meth:`video_product`; the
    defaults speak the title only, in the page's language (:meth:`video_language`), fall back to the
    organization's default presenter and show the title as the product, with no price or pictures. The admin
    form refuses images the page's organization may not use
    (:class:`~video_plugin.editor.page_form.VideoPageForm`); a page type with a form of its own subclasses it.
    """

    base_form_class = VideoPageForm

    def video_language(self) -> str:
        """The language the page is written in, so its presenter speaks it: the page's Wagtail locale ("de")
        when the site translates its pages (``WAGTAIL_I18N_ENABLED``), else ``settings.LANGUAGE_CODE``."""
        # Without i18n every page still has a locale, the one Wagtail made at install, which need not be
        # the site's language since.
        if getattr(settings, "WAGTAIL_I18N_ENABLED", False) and getattr(self, "locale_id", None):
            return self.locale.language_code
        return settings.LANGUAGE_CODE

    def video_script_source(self) -> ScriptSource:
        """The facts a script is composed from, in the page's language, and any explicit script the editor
        wrote."""
        return ScriptSource(title=getattr(self, "title", ""), language=self.video_language())

    def video_presenter_image(self) -> AbstractImage | None:
        """The page's own presenter photo, or ``None`` to use the organization's default."""
        return None

    def video_product(self) -> ProductFacts:
        """The product a finished video shows: name, price as shown, pictures (main first, then gallery)."""
        return ProductFacts(name=getattr(self, "title", ""))

    @property
    def current_video_job(self) -> Any:
        """The succeeded job whose video this page shows, or ``None``."""
        from video_plugin.models import VideoJob

        return (
            VideoJob.objects.filter(page_id=self.pk, is_current=True).select_related("media").first()
            if self.pk
            else None
        )
