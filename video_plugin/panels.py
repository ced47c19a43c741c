"""The editor panel: the page's current video, its latest job, and a Generate button for those allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from wagtail.admin.panels import Panel

from video_plugin.conf import video_settings
from video_plugin.models import VideoJob
from video_plugin.tenancy import can_generate, get_tenancy


class VideoPanel(Panel):
    """Add to a ``VideoPageMixin`` page's ``content_panels`` (or a tab) to show and request its presenter
    video.
    """

    def __init__(self, heading: str = "Presenter video", **kwargs: Any) -> None:
        super().__init__(heading=heading, **kwargs)

    @property
    def clean_name(self) -> str:
        return super().clean_name or "presenter_video"

    class BoundPanel(Panel.BoundPanel):
        template_name = "video_plugin/panels/video_panel.html"

        def is_shown(self) -> bool:
            # A page that was never saved has no id to render a video for.
            return bool(self.instance and self.instance.pk) and super().is_shown()

        def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            page = self.instance
            organization = get_tenancy().organization_for_page(page)
            job = VideoJob.objects.filter(page_id=page.pk).select_related("media").first()
            current = (
                VideoJob.objects.filter(page_id=page.pk, is_current=True).select_related("media").first()
            )
            context.update(
                page=page,
                organization=organization,
                job=job,
                current_media=current.media if current else None,
                can_generate=organization is not None and can_generate(self.request.user, organization.id),
                generate_url=reverse("video_plugin:generate", args=[page.pk]),
                status_url=reverse("video_plugin:status", args=[page.pk]),
                poll_ms=int(video_settings.STATUS_POLL_SECONDS * 1000),
            )
            return context

        @property
        def media(self) -> forms.Media:
            return forms.Media(js=["video_plugin/js/video-panel-controller.js"])
